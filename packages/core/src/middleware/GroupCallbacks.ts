import type { Broker } from "../broker/Broker";
import { Message } from "../message/Message";
import type { MessageProxy } from "../message/MessageProxy";
import { Barrier } from "../ratelimits/Barrier";
import type { RateLimiterBackend } from "../ratelimits/RateLimiterBackend";
import { Middleware, type ProcessOutcome } from "./Middleware";

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
    if (typeof uuid !== "string" || !Array.isArray(callbacks) || callbacks.length === 0) return;
    return this.arrive(broker, uuid, callbacks);
  }

  private async arrive(broker: Broker, uuid: string, callbacks: unknown[]): Promise<void> {
    const barrier = new Barrier(this.backend, uuid, { ttl: this.barrierTtl });
    if (await barrier.wait({ block: false })) {
      for (const callback of callbacks) await broker.enqueue(Message.fromDict(callback));
    }
  }
}
