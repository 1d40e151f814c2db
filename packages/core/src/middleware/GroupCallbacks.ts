import type { Broker } from "../broker/Broker";
import { Message } from "../message/Message";
import type { MessageProxy } from "../message/MessageProxy";
import { warnInvalid } from "../options/messageOption";
import { Barrier } from "../ratelimits/Barrier";
import type { RateLimiterBackend } from "../ratelimits/RateLimiterBackend";
import { Middleware, type ProcessOutcome } from "./Middleware";

const LOGGER = "q.middleware.group_callbacks.GroupCallbacks";

/**
 * Fires a group's completion callbacks once every member has succeeded, counting
 * members on a {@link Barrier} in a rate-limiter backend. Failed or skipped members
 * never count, so a group with a member that fails for good never completes.
 *
 * @example
 * broker.addMiddleware(new GroupCallbacks(new RedisRateLimiterBackend({ url })));
 * const g = group([resize.message(a), resize.message(b)]);
 * g.addCompletionCallback(notify.message("done"));
 * await g.run();
 */
export class GroupCallbacks extends Middleware {
  readonly barrierTtl: number;

  constructor(
    readonly backend: RateLimiterBackend,
    options: { barrierTtl?: number } = {},
  ) {
    super();
    this.barrierTtl = options.barrierTtl ?? 86_400_000;
  }

  override afterProcessMessage(broker: Broker, message: MessageProxy, { exception }: ProcessOutcome): void | Promise<void> {
    if (exception !== undefined || message.failed) return;
    const uuid = message.options.group_completion_uuid;
    const callbacks = message.options.group_completion_callbacks;
    if (uuid === undefined && callbacks === undefined) return;
    if (typeof uuid !== "string") {
      if (callbacks !== undefined) warnInvalid(broker, LOGGER, message, "group_completion_uuid", uuid, "expected a string; the group's completion callbacks are not sent");
      return;
    }
    if (!Array.isArray(callbacks)) {
      warnInvalid(broker, LOGGER, message, "group_completion_callbacks", callbacks, "expected a list of messages; no completion callbacks are sent");
      return;
    }
    if (callbacks.length === 0) return;
    return this.arrive(broker, message, uuid, callbacks);
  }

  private async arrive(broker: Broker, message: MessageProxy, uuid: string, callbacks: unknown[]): Promise<void> {
    // Read the callbacks first: one that is not a message is left out, the others still go.
    const messages: Message[] = [];
    for (const [i, callback] of callbacks.entries()) {
      try {
        messages.push(Message.fromDict(callback));
      } catch (error) {
        warnInvalid(broker, LOGGER, message, `group_completion_callbacks[${i}]`, callback, `${(error as Error).message}; that callback is not sent`);
      }
    }
    const barrier = new Barrier(this.backend, uuid, { ttl: this.barrierTtl });
    if (await barrier.wait({ block: false })) {
      for (const next of messages) await broker.enqueue(next);
    }
  }
}
