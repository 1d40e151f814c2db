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

/** Arguments of `q` and `q.DQ` (Dramatiq's, in its key order). */
export function queueArguments(canonical: string, maxPriority: number | undefined): Record<string, unknown> {
  const args: Record<string, unknown> = {
    "x-dead-letter-exchange": "",
    "x-dead-letter-routing-key": `${canonical}.XQ`,
  };
  if (maxPriority !== undefined) args["x-max-priority"] = amqpInt(maxPriority);
  return args;
}

/** Arguments of `q.XQ`: dead letters expire after `ttl` ms (static: RabbitMQ expires from the head). */
export function deadLetterArguments(ttl: number): Record<string, unknown> {
  return { "x-message-ttl": amqpInt(ttl) };
}

/**
 * Arguments of a delay bucket `q.DQ.wait.<seconds>`: every message waits exactly
 * `seconds` (one TTL per queue, so they expire in order), then RabbitMQ dead-letters
 * it back to `q.DQ`.
 */
export function bucketArguments(canonical: string, seconds: number): Record<string, unknown> {
  return {
    "x-dead-letter-exchange": "",
    "x-dead-letter-routing-key": `${canonical}.DQ`,
    "x-message-ttl": amqpInt(seconds * 1000),
  };
}

/** How every queue is declared (as Dramatiq: durable, shared, kept when idle). */
export const QUEUE_FLAGS = { durable: true, exclusive: false, autoDelete: false } as const;
