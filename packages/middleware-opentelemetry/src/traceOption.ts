/**
 * The message option that carries the trace context (snake_case, like every Dramatiq
 * option; Python workers keep options they do not know). Its value is the propagator's
 * carrier (`traceparent`, `tracestate`), plus `first_attempt`, the traceparent of the
 * message's first processing span, once it ran. Internal.
 */
export const TRACE_OPTION = "trace_context";

/** The carrier kept in {@link TRACE_OPTION}. */
export type TraceCarrier = Record<string, string>;

/** The carrier of a message's options, if it has a well-formed one. */
export function carrierOf(options: Record<string, unknown>): TraceCarrier | undefined {
  const value = options[TRACE_OPTION];
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const carrier: TraceCarrier = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === "string") carrier[k] = v;
  return carrier;
}
