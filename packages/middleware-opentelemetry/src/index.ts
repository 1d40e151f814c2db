/**
 * @q/middleware-opentelemetry: OpenTelemetry tracing for @q messages, from send to worker.
 */
export { OpenTelemetry } from "./OpenTelemetry";
export type { OpenTelemetryOptions } from "./OpenTelemetryOptions";
