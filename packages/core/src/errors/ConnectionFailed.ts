import { ConnectionError } from "./ConnectionError";

/**
 * Connecting to the broker's server failed.
 */
export class ConnectionFailed extends ConnectionError {}
