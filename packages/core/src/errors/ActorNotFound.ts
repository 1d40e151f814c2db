import { BrokerError } from "./BrokerError";

/**
 * A message names an actor that is not declared on this broker.
 *
 * @example
 * broker.getActor("nope") // throws ActorNotFound
 */
export class ActorNotFound extends BrokerError {}
