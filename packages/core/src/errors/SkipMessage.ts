import { MiddlewareError } from "./MiddlewareError";

/**
 * Thrown from `beforeProcessMessage` to skip a message: the actor is not called.
 *
 * @example
 * beforeProcessMessage(_broker, message) { if (isBanned(message)) throw new SkipMessage("banned") }
 */
export class SkipMessage extends MiddlewareError {}
