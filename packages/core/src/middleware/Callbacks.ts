import type { Broker } from "../broker/Broker";
import { assertJsonSafe } from "../encoding/assertJsonSafe";
import { errorTypeName } from "../errors/errorTypeName";
import { childLogger } from "../logging/childLogger";
import { Message } from "../message/Message";
import type { MessageProxy } from "../message/MessageProxy";
import { messageOption } from "../options/messageOption";
import { Middleware, type ProcessOutcome } from "./Middleware";

/**
 * Sends `onSuccess` actors `(messageDict, result)` after a success, and `onFailure`
 * actors `(messageDict, { type, message })` after every failed attempt (the dict's
 * options already show the retry count). Skipped messages trigger neither.
 *
 * @example
 * const report = actor(function report(msg: MessageData, err: { type: string; message: string }) { ... });
 * await charge.sendWithOptions({ args: [42], onFailure: report });
 */
export class Callbacks extends Middleware {
  override readonly actorOptions = ["onSuccess", "onFailure"];

  // Synchronous when there is nothing to send: most messages have no callback.
  override afterProcessMessage(broker: Broker, message: MessageProxy, outcome: ProcessOutcome): void | Promise<void> {
    const actor = broker.actors.get(message.actorName);
    const name = outcome.exception !== undefined ? "onFailure" : "onSuccess";
    const target = messageOption<string | null>(broker, "q.middleware.callbacks.Callbacks", message, actor, name, null);
    if (target) return this.send(broker, target, message, outcome);
  }

  private async send(broker: Broker, target: string, message: MessageProxy, { result, exception }: ProcessOutcome): Promise<void> {
    const failed = exception !== undefined;
    const callback = broker.actors.get(target);
    if (!callback) {
      childLogger(broker, "q.middleware.callbacks.Callbacks").error(`Callback actor ${JSON.stringify(target)} of message ${message.messageId} is not declared; the callback is not sent.`);
      return;
    }
    const payload = failed ? { type: errorTypeName(exception), message: errorMessage(exception) } : (result ?? null);
    // The result is the actor's value and is checked as a send checks it; the message dict
    // came off the wire, and may hold what only Python writes (NaN, Infinity): the encoder
    // writes those back as Python's tokens.
    assertJsonSafe(payload, "result");
    await broker.enqueue(new Message({ queueName: callback.queueName, actorName: callback.actorName, args: [message.toDict(), payload] }));
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
