import type { Broker } from "../broker/Broker";
import { Message } from "../message/Message";
import type { MessageProxy } from "../message/MessageProxy";
import { Middleware, type ProcessOutcome } from "./Middleware";

/**
 * Runs pipelines: after a message with a `pipe_target` succeeds, enqueues the target
 * with the result appended to its arguments (unless `pipe_ignore`), after the
 * target's own `delay` option if it has one. A failed step stops the chain.
 *
 * `pipeIgnore` is read from the next message's options, then from the *receiving*
 * actor (Dramatiq reads the finishing actor's option; @q reads the one that would
 * receive the value, which is what the option describes).
 *
 * @example
 * await pipeline([fetchPage.message(url), countWords.message(), store.messageWithOptions({ pipeIgnore: true })]).run();
 */
export class Pipelines extends Middleware {
  override readonly actorOptions = ["pipeIgnore", "pipeTarget"];

  override afterProcessMessage(broker: Broker, message: MessageProxy, { result, exception }: ProcessOutcome): void | Promise<void> {
    if (exception !== undefined || message.failed) return;
    const target = message.options.pipe_target;
    if (target === undefined || target === null) return;
    return this.next(broker, target, result);
  }

  private async next(broker: Broker, target: unknown, result: unknown): Promise<void> {
    let next = Message.fromDict(target);
    const receiver = broker.actors.get(next.actorName);
    const ignore = next.options.pipe_ignore ?? receiver?.options.pipeIgnore ?? false;
    if (!ignore) next = next.copy({ args: [...next.args, result === undefined ? null : result] });
    const delay = next.options.delay;
    await broker.enqueue(next, { delay: typeof delay === "number" ? delay : undefined });
  }
}
