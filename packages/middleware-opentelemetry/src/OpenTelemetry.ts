import { type Attributes, type Link, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type TextMapPropagator, type Tracer, context, propagation, trace } from "@opentelemetry/api";
import { type Broker, type Message, type MessageProxy, Middleware, type ProcessOutcome } from "@q/core";
import { qName } from "@q/core/broker";
import type { OpenTelemetryOptions } from "./OpenTelemetryOptions";
import { TRACE_OPTION, type TraceCarrier, carrierOf } from "./traceOption";

/**
 * Traces @q messages with OpenTelemetry: a PRODUCER span `send <queue>` for each message
 * sent, whose W3C trace context travels in the `trace_context` message option to the
 * worker (Python Dramatiq peers keep it), and a CONSUMER span `process <queue>` for each
 * processing attempt, a child of the send. A retry's attempt links to the first attempt's
 * span. Attributes follow the messaging semantic conventions (`messaging.system`,
 * `messaging.destination.name`, `messaging.message.id`, `messaging.operation.type` and
 * `.name`), plus `dramatiq.actor_name` and `dramatiq.retries`.
 *
 * Put it on producers and workers alike. A send inside an actor is not made a child of the
 * processing span (middleware hooks cannot make a span active around the actor call). Retries and delayed-message moves are not new
 * sends: they keep the first send's context and make no producer span.
 *
 * @example
 * const broker = new RedisBroker({ url: process.env.REDIS_URL });
 * broker.addMiddleware(new OpenTelemetry());   // with the OTel SDK started in the process
 */
export class OpenTelemetry extends Middleware {
  private readonly tracer: Tracer;
  private readonly propagator: TextMapPropagator;
  private readonly system: string;
  /** Producer spans from messageOptions to afterEnqueue, by message id. */
  private readonly sending = new Map<string, Span>();
  private readonly processing = new WeakMap<MessageProxy, Span>();

  constructor(options: OpenTelemetryOptions = {}) {
    super();
    this.tracer = options.tracer ?? trace.getTracer("@q/middleware-opentelemetry");
    this.propagator = options.propagator ?? propagation;
    this.system = options.system ?? "dramatiq";
  }

  override messageOptions(_broker: Broker, message: Message): Record<string, unknown> | undefined {
    // A retry or a delayed message's move carries the first send's context already.
    if (carrierOf(message.options)) return undefined;
    const queue = qName(message.queueName);
    const span = this.tracer.startSpan(
      `send ${queue}`,
      { kind: SpanKind.PRODUCER, attributes: this.attributes(queue, message.messageId, message.actorName, "send") },
      context.active(),
    );
    const carrier: TraceCarrier = {};
    this.propagator.inject(trace.setSpan(context.active(), span), carrier, setter);
    this.sending.set(message.messageId, span);
    // A publish that failed never reaches afterEnqueue: its span ends when it falls out.
    if (this.sending.size > MAX_OPEN_SENDS) {
      const [id, oldest] = this.sending.entries().next().value!;
      this.sending.delete(id);
      oldest.end();
    }
    return Object.keys(carrier).length > 0 ? { [TRACE_OPTION]: carrier } : undefined;
  }

  override afterEnqueue(_broker: Broker, message: Message): void {
    const span = this.sending.get(message.messageId);
    if (!span) return;
    this.sending.delete(message.messageId);
    span.end();
  }

  override beforeProcessMessage(_broker: Broker, message: MessageProxy): void {
    const carrier = carrierOf(message.options) ?? {};
    const parent = this.propagator.extract(ROOT_CONTEXT, carrier, getter);
    const links: Link[] = [];
    if (carrier.first_attempt) {
      const first = trace.getSpanContext(this.propagator.extract(ROOT_CONTEXT, { traceparent: carrier.first_attempt }, getter));
      if (first) links.push({ context: first, attributes: { "dramatiq.link": "first_attempt" } });
    }
    const queue = qName(message.queueName);
    const attributes = this.attributes(queue, message.messageId, message.actorName, "process");
    const retries = message.options.retries;
    if (typeof retries === "number") attributes["dramatiq.retries"] = retries;
    this.processing.set(message, this.tracer.startSpan(`process ${queue}`, { kind: SpanKind.CONSUMER, attributes, links }, parent));
  }

  override afterProcessMessage(_broker: Broker, message: MessageProxy, outcome: ProcessOutcome): void {
    const span = this.processing.get(message);
    if (!span) return;
    this.processing.delete(message);
    // Runs before Retries (after-hooks run in reverse), so a retry carries the first attempt's id.
    const carrier = carrierOf(message.options);
    if (carrier && !carrier.first_attempt) {
      const own: TraceCarrier = {};
      this.propagator.inject(trace.setSpan(ROOT_CONTEXT, span), own, setter);
      if (own.traceparent) message.options[TRACE_OPTION] = { ...carrier, first_attempt: own.traceparent };
    }
    if (outcome.exception !== undefined && outcome.exception !== null) {
      const error = outcome.exception instanceof Error ? outcome.exception : new Error(String(outcome.exception));
      span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    }
    span.end();
  }

  override afterSkipMessage(_broker: Broker, message: MessageProxy): void {
    const span = this.processing.get(message);
    if (!span) return;
    this.processing.delete(message);
    span.setAttribute("dramatiq.skipped", true);
    span.end();
  }

  private attributes(queue: string, messageId: string, actorName: string, operation: "send" | "process"): Attributes {
    return {
      "messaging.system": this.system,
      "messaging.destination.name": queue,
      "messaging.message.id": messageId,
      "messaging.operation.type": operation,
      "messaging.operation.name": operation,
      "dramatiq.actor_name": actorName,
    };
  }
}

/** Producer spans waiting for their afterEnqueue, at most. */
const MAX_OPEN_SENDS = 10_000;

const setter = { set: (carrier: TraceCarrier, key: string, value: string) => void (carrier[key] = value) };

const getter = {
  keys: (carrier: TraceCarrier) => Object.keys(carrier),
  get: (carrier: TraceCarrier, key: string) => carrier[key],
};
