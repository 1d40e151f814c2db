import { BrokerError } from "./BrokerError";

/**
 * The broker's server could not be reached or the connection broke.
 * Subclasses say which: {@link ConnectionFailed} or {@link ConnectionClosed}.
 */
export class ConnectionError extends BrokerError {}
