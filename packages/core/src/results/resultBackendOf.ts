import type { Broker } from "../broker/Broker";
import { getBroker } from "../broker/globalBroker";
import { MiddlewareMissing } from "../errors/MiddlewareMissing";
import type { Message } from "../message/Message";
import { Results } from "../middleware/Results";
import type { ResultBackend } from "./ResultBackend";

/** The broker each message was enqueued on: `getResult()` reads that broker's backend. */
const enqueuedOn = new WeakMap<Message, Broker>();

/** Internal: remembers the broker that enqueued `message`. */
export function rememberBroker(message: Message, broker: Broker): void {
  enqueuedOn.set(message, broker);
}

/**
 * Internal: the result backend for reading `message`'s result: `backend` if given, else
 * the Results middleware's of `broker`, of the broker that enqueued the message, or of the
 * global broker, in that order. A {@link MiddlewareMissing} when that broker has no Results middleware.
 */
export function resultBackendOf(message: Message | undefined, options: { backend?: ResultBackend; broker?: Broker }, what: string): ResultBackend {
  if (options.backend) return options.backend;
  const broker = options.broker ?? (message && enqueuedOn.get(message)) ?? getBroker();
  const results = broker.middleware.find((m): m is Results => m instanceof Results);
  if (!results) {
    throw new MiddlewareMissing(
      `${what} needs the Results middleware on the broker, or a backend passed in: broker.addMiddleware(new Results({ backend })), then declare the actor with { storeResults: true }.`,
      "Results",
    );
  }
  return results.backend;
}
