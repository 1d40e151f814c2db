import { BrokerError, ConnectionClosed, isQError } from "@q/core";

/** Internal: the AMQP reply code of an amqplib error (404 for a missing queue), if any. */
export function amqpReplyCode(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/** Internal: a QError as it is; a refusal by the server (a channel-level code) a BrokerError; anything else a lost connection. */
export function translateAmqpError(error: unknown, what: string): Error {
  if (isQError(error)) return error as Error;
  const message = (error as { message?: unknown } | null)?.message;
  const text = typeof message === "string" ? message : String(error);
  const code = amqpReplyCode(error);
  if (typeof code === "number" && code >= 403 && code <= 406) return new BrokerError(`RabbitMQ refused ${what}: ${text}`, { cause: error });
  return new ConnectionClosed(`Lost the RabbitMQ channel while ${what}: ${text}`, { cause: error, written: "maybe" });
}

