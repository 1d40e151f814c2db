import { ConnectionError } from "./ConnectionError";

/**
 * The connection to the broker's server was closed while in use.
 */
export class ConnectionClosed extends ConnectionError {}
