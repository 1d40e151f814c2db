import { QError } from "../errors/QError";
import type { MessageProxy } from "../message/MessageProxy";
import { messageContext } from "../worker/messageContext";
import { Middleware } from "./Middleware";

let installed = 0;

/**
 * Gives actors the message they are running, and through it the message's
 * AbortSignal (time limits, shutdown). Optional, as in Dramatiq: with it on the
 * broker, workers run each message inside an AsyncLocalStorage context, which has a
 * cost for every promise in the process, so it is off unless you add it.
 *
 * @example
 * const broker = new StubBroker({ middleware: [...defaultMiddleware(), new CurrentMessage()] });
 * const job = actor(async function job(url: string) {
 *   const message = CurrentMessage.getCurrentMessage()!;
 *   await fetch(url, { signal: message.signal });
 * }, { broker });
 */
export class CurrentMessage extends Middleware {
  constructor() {
    super();
    installed++;
  }

  /**
   * The running message, or undefined outside an actor. Throws a QError if no
   * CurrentMessage middleware was ever created (the context would always be empty).
   */
  static getCurrentMessage(): MessageProxy | undefined {
    if (installed === 0) {
      throw new QError(
        "CurrentMessage.getCurrentMessage() needs the CurrentMessage middleware: broker.addMiddleware(new CurrentMessage()).",
      );
    }
    return messageContext.getStore()?.message;
  }
}
