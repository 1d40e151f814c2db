import { QError } from "./QError";

/**
 * A constructor or option was given a value it cannot use (a malformed broker URL, a
 * negative concurrency, ...). Thrown at once, before anything connects.
 *
 * @example
 * new RedisBroker({ url: "http://127.0.0.1:6379" }); // ConfigurationError: Invalid Redis URL ...
 */
export class ConfigurationError extends QError {}
