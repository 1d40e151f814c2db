import { QError } from "../errors/QError";
import type { Broker } from "./Broker";

let current: Broker | undefined;

/**
 * Sets the broker that `actor()` declares on when no `broker` option is given.
 * Call it before declaring actors.
 *
 * @example
 * setBroker(new StubBroker());
 */
export function setBroker(broker: Broker): void {
  current = broker;
}

/**
 * The global broker; throws a {@link QError} when none was set (@q never
 * guesses a broker for you).
 *
 * @example
 * const broker = getBroker();
 */
export function getBroker(): Broker {
  if (!current) {
    throw new QError("No global broker: call setBroker(broker) before declaring actors, or pass { broker } to actor().");
  }
  return current;
}

