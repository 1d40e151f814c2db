/** A table value amqplib encodes with an explicit AMQP type. */
export interface TypedInt {
  "!": "int" | "long";
  value: number;
}

/**
 * An integer as pika (Python Dramatiq's client) encodes it in a field table: signed
 * 32-bit (`I`) when it fits, else signed 64-bit (`l`). Same bytes as a Python
 * declaration, so a re-declare from either side is equivalent.
 */
export function amqpInt(value: number): TypedInt {
  return { "!": value >= -0x80000000 && value <= 0x7fffffff ? "int" : "long", value };
}

/** How the broker declares its queues: Dramatiq's classic queues, or replicated quorum queues. */
export interface QueueKind {
  queueType: "classic" | "quorum";
  /** `x-max-priority` (classic only). */
  maxPriority?: number;
  /** `x-delivery-limit` (quorum only). */
  deliveryLimit?: number;
}

/**
 * What every quorum queue that dead-letters gets. RabbitMQ's default dead-lettering is
 * at-most-once: a dead letter (to `.XQ`) or an expired bucket message (back to `.DQ`) in
 * flight when the leader changes is dropped. `at-least-once` keeps it on the source queue
 * until the target has confirmed it, and RabbitMQ honours it only with `reject-publish`
 * overflow (which never triggers here: the queues have no length limit).
 */
function quorum(kind: QueueKind, deadLetters: boolean): Record<string, unknown> {
  if (kind.queueType !== "quorum") return {};
  const args: Record<string, unknown> = { "x-queue-type": "quorum" };
  if (deadLetters) {
    args["x-dead-letter-strategy"] = "at-least-once";
    args["x-overflow"] = "reject-publish";
  }
  return args;
}

/** Arguments of `q` and `q.DQ` (Dramatiq's, in its key order; the quorum ones after them). */
export function queueArguments(canonical: string, kind: QueueKind): Record<string, unknown> {
  const args: Record<string, unknown> = {
    "x-dead-letter-exchange": "",
    "x-dead-letter-routing-key": `${canonical}.XQ`,
  };
  if (kind.maxPriority !== undefined) args["x-max-priority"] = amqpInt(kind.maxPriority);
  Object.assign(args, quorum(kind, true));
  if (kind.deliveryLimit !== undefined) args["x-delivery-limit"] = amqpInt(kind.deliveryLimit);
  return args;
}

/** Arguments of `q.XQ`: dead letters expire after `ttl` ms (static: RabbitMQ expires from the head). */
export function deadLetterArguments(ttl: number, kind: QueueKind): Record<string, unknown> {
  return { "x-message-ttl": amqpInt(ttl), ...quorum(kind, false) };
}

/**
 * Arguments of a delay bucket `q.DQ.wait.<seconds>`: every message waits exactly
 * `seconds` (one TTL per queue, so they expire in order), then RabbitMQ dead-letters
 * it back to `q.DQ`.
 */
export function bucketArguments(canonical: string, seconds: number, kind: QueueKind): Record<string, unknown> {
  return {
    "x-dead-letter-exchange": "",
    "x-dead-letter-routing-key": `${canonical}.DQ`,
    "x-message-ttl": amqpInt(seconds * 1000),
    ...quorum(kind, true),
  };
}

/** How every queue is declared (as Dramatiq: durable, shared, kept when idle). */
export const QUEUE_FLAGS = { durable: true, exclusive: false, autoDelete: false } as const;
