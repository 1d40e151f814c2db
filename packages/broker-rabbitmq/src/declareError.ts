import { BrokerError } from "@q/core";
import { QueueMismatch } from "./QueueMismatch";

/**
 * Internal: the error for a failed `queue.declare` of `queue`. PRECONDITION_FAILED on an
 * inequivalent argument becomes a {@link QueueMismatch} saying which side declared what;
 * ACCESS_REFUSED a BrokerError; anything else (a lost channel) is returned as it is.
 */
export function declareError(queue: string, error: unknown): Error {
  const code = (error as { code?: number }).code;
  const message = (error as Error).message;
  if (code === 406) {
    const argument = /inequivalent arg '([^']+)'/.exec(message)?.[1];
    const types = argument === undefined ? undefined : queueTypes(argument, message);
    if (types) {
      const [existing, wanted] = types;
      return new QueueMismatch(
        `RabbitMQ refused to declare ${queue}: it exists as a ${existing} queue and this broker declares ${wanted} queues ` +
          `(queueType: "${wanted}"). Every producer and worker of a queue must use the same queueType; Python Dramatiq always ` +
          `declares classic queues. Change queueType, or move the queue: delete it (its messages with it) and let it be declared again. ` +
          `(${message})`,
        queue,
        argument,
        { cause: error },
      );
    }
    return new QueueMismatch(
      `RabbitMQ refused to declare ${queue}: it exists with other arguments (${message}). Every producer and worker of a queue must use the same queueType, maxPriority, deliveryLimit and dead-message TTL.`,
      queue,
      argument,
      { cause: error },
    );
  }
  if (code === 403) return new BrokerError(`RabbitMQ refused to declare ${queue}: ${message}`, { cause: error });
  return error as Error;
}

/** Arguments only this broker's quorum queues have (RabbitMQ reports whichever differs first). */
const QUORUM_ONLY = new Set(["x-queue-type", "x-dead-letter-strategy", "x-overflow"]);

/**
 * `[existing, wanted]` queue types when the inequivalent argument is one that only one side
 * declared: `x-queue-type` itself, or an argument only quorum queues get here.
 */
function queueTypes(argument: string, message: string): [string, string] | undefined {
  if (!QUORUM_ONLY.has(argument)) return undefined;
  const current = /current is the value '([^']+)'/.exec(message)?.[1];
  const received = /received the value '([^']+)'/.exec(message)?.[1];
  if (argument === "x-queue-type") return [current ?? "classic", received ?? "classic"];
  if (received !== undefined && current === undefined) return ["classic", "quorum"];
  if (received === undefined && current !== undefined) return ["quorum", "classic"];
  return undefined;
}
