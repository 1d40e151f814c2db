import type { TextMapPropagator, Tracer } from "@opentelemetry/api";

/** Options of {@link OpenTelemetry}; every one has a default. */
export interface OpenTelemetryOptions {
  /** The tracer spans are made with; default `trace.getTracer("@q/middleware-opentelemetry")` (the global provider). */
  tracer?: Tracer;
  /** Writes and reads the trace context; default the global propagator (the OTel SDK sets W3C trace context). */
  propagator?: TextMapPropagator;
  /** The `messaging.system` attribute; default `"dramatiq"`. */
  system?: string;
}
