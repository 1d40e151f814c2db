import { QError } from "./QError";

/**
 * An option given to a broker (or another @q component) cannot be used: the wrong
 * type, out of range, or a malformed URL. Thrown by the constructor that was given it.
 *
 * @example
 * new RabbitmqBroker({ maxPriority: 0 }) // throws OptionError: maxPriority must be an integer from 1 to 255, got 0.
 */
export class OptionError extends QError {}
