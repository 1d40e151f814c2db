import { BrokerError } from "./BrokerError";

/**
 * An operation named a queue that was never declared on the broker.
 */
export class QueueNotFound extends BrokerError {}
