import type { Broker } from "../broker/Broker";
import { readGroupStep } from "../composition/readGroupStep";
import { sendStep } from "../composition/sendStep";
import { childLogger } from "../logging/childLogger";
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
 * A step followed by a group step carries `pipe_target_group` (`{"members": [message
 * dicts]}`) instead: every member gets the result, and the GroupCallbacks middleware
 * sends the step after the group once all members have succeeded.
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
    const group = message.options.pipe_target_group;
    if (target !== undefined && target !== null) return this.next(broker, message, target, result);
    if (group !== undefined && group !== null) return this.fanOut(broker, message, group, result);
  }

  private async next(broker: Broker, message: MessageProxy, target: unknown, result: unknown): Promise<void> {
    let next: Message;
    try {
      next = Message.fromDict(target);
    } catch (error) {
      warnInvalid(broker, LOGGER, message, "pipe_target", target, `${(error as Error).message}; the pipeline stops here`);
      return;
    }
    await sendStep(broker, next, { result }, (wire, value, why) => warnInvalid(broker, LOGGER, message, wire, value, why));
  }

  private async fanOut(broker: Broker, message: MessageProxy, group: unknown, result: unknown): Promise<void> {
    const members = readGroupStep(group);
    if (typeof members === "string") {
      warnInvalid(broker, LOGGER, message, "pipe_target_group", group, `${members}; the pipeline stops here`);
      return;
    }
    try {
      await sendStep(broker, members, { result }, (wire, value, why) => warnInvalid(broker, LOGGER, message, wire, value, why));
    } catch (error) {
      childLogger(broker, LOGGER).error({ err: error }, `The group step after message ${message.messageId} cannot be sent (the pipeline stops here): ${(error as Error).message}`);
    }
  }
}
