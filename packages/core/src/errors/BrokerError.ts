import { QError } from "./QError";

/**
 * Raised by brokers: the base class of actor, queue and connection errors.
 */
export class BrokerError extends QError {}
