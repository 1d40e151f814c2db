import type { MessageProxy } from "../message/MessageProxy";
import { messageContext } from "../worker/messageContext";
import { Middleware } from "./Middleware";

/**
 * Gives actors the message they are running (and through it, its AbortSignal). The
 * worker always runs actors inside an AsyncLocalStorage context, so
 * `getCurrentMessage()` works with or without this middleware installed; adding it
 * keeps Dramatiq-style setups working unchanged.
 *
 * @example
 * const job = actor(async function job() {
 *   const message = CurrentMessage.getCurrentMessage()!;
 *   await fetch(url, { signal: message.signal });
 *   console.log("running", message.messageId);
 * });
 */
export class CurrentMessage extends Middleware {
  /** The running message, or undefined outside an actor. */
  static getCurrentMessage(): MessageProxy | undefined {
    return messageContext.getStore()?.message;
  }
}
