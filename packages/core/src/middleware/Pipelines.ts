import type { Broker } from "../broker/Broker";
import { Message } from "../message/Message";
import type { MessageProxy } from "../message/MessageProxy";
import { warnInvalid } from "../options/messageOption";
import { Middleware, type ProcessOutcome } from "./Middleware";

const LOGGER = "q.middleware.pipelines.Pipelines";

/**
 * Runs pipelines: after a message with a `pipe_target` succeeds, enqueues the target
 * with the result appended to its arguments (unless `pipe_ignore`), after the
 * target's own `delay` option if it has one. A failed step stops the chain.
 *
 * `pipeIgnore` is read from the next message's options, then from the *receiving*
 * actor (Dramatiq reads the finishing actor's option; @q reads the one that would
 * receive the value, which is what the option describes).
 *
 * A `pipe_target` that is not a message stops the chain; a `pipe_ignore` that is not a
 * boolean or a `delay` that is not a non-negative number is ignored; each with a warning.
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
    return this.next(broker, message, target, result);
  }

  private async next(broker: Broker, message: MessageProxy, target: unknown, result: unknown): Promise<void> {
    let next: Message;
    try {
      next = Message.fromDict(target);
    } catch (error) {
      warnInvalid(broker, LOGGER, message, "pipe_target", target, `${(error as Error).message}; the pipeline stops here`);
      return;
    }
    const receiver = broker.actors.get(next.actorName);
    let ignore = next.options.pipe_ignore;
    if (ignore !== undefined && ignore !== null && typeof ignore !== "boolean") {
      warnInvalid(broker, LOGGER, message, "pipe_target.options.pipe_ignore", ignore, "expected true, false or null; using the receiving actor's pipeIgnore");
      ignore = undefined;
    }
    if (!(ignore ?? receiver?.options.pipeIgnore ?? false)) next = next.copy({ args: [...next.args, result === undefined ? null : result] });
    let delay = next.options.delay;
    if (delay !== undefined && delay !== null && !(typeof delay === "number" && Number.isFinite(delay) && delay >= 0)) {
      warnInvalid(broker, LOGGER, message, "pipe_target.options.delay", delay, "expected a non-negative number of milliseconds; sending the next step now");
      delay = undefined;
    }
    await broker.enqueue(next, { delay: typeof delay === "number" ? delay : undefined });
  }
}
