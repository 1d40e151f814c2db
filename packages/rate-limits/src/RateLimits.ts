import { type AdmissionRelease, AgeLimit, type Broker, type MessageProxy, Middleware, SkipMessage } from "@q/core";
import { RateLimiter } from "./RateLimiter";

const LOGGER = "q.rate_limits.RateLimits";

/**
 * The waiting form of rate limits (beyond Dramatiq): an actor declared with
 * `rateLimiter: limiter` runs only while it holds one of the limiter's slots, and the
 * worker waits for that slot *before* the message starts: no RateLimitExceeded, no
 * retry, no backoff, no log line per attempt. While it waits the message holds none of
 * the worker's concurrency slots, so other actors keep running; it still counts against
 * its queue's prefetch, which bounds the waiting messages (give rate-limited actors a
 * queue of their own so they never fill a shared queue's prefetch). The slot is given
 * back when the run is over: success, failure, time limit or shutdown.
 *
 * A message that reaches its age limit (`maxAge`) while waiting is dead-lettered, as
 * AgeLimit would; a worker that stops puts waiting messages back on the broker, unstarted.
 *
 * @example
 * broker.addMiddleware(new RateLimits());
 * const mutex = new ConcurrentRateLimiter(backend, "reports", { limit: 5 });
 * const report = actor(async function report(id: string) { ... }, { rateLimiter: mutex, queueName: "reports" });
 */
export class RateLimits extends Middleware {
  override readonly actorOptions = ["rateLimiter"];

  override validateActorOptions(options: Readonly<Record<string, unknown>>): string[] {
    const v = options.rateLimiter;
    return v === undefined || v === null || v instanceof RateLimiter
      ? []
      : ["rateLimiter must be a rate limiter of @q/rate-limits (ConcurrentRateLimiter, BucketRateLimiter or WindowRateLimiter)"];
  }

  override admitMessage(broker: Broker, message: MessageProxy, signal: AbortSignal): Promise<AdmissionRelease> | undefined {
    const limiter = broker.actors.get(message.actorName)?.options.rateLimiter;
    if (!(limiter instanceof RateLimiter)) return undefined;
    return this.admit(broker, limiter, message, signal);
  }

  private async admit(broker: Broker, limiter: RateLimiter, message: MessageProxy, signal: AbortSignal): Promise<AdmissionRelease> {
    const release = () => limiter.releaseSlot();
    // The common case, one backend call: a slot is free.
    if (await limiter.acquireSlot()) return release;
    const ageLimit = broker.middleware.find((m): m is AgeLimit => m instanceof AgeLimit);
    const maxAge = ageLimit?.maxAgeFor(broker, message);
    const deadline = maxAge === undefined ? Infinity : message.messageTimestamp + maxAge;
    if (await limiter.waitForSlot({ signal, deadline })) return release;
    broker.rootLogger
      .child({ name: LOGGER })
      .warn(`Message '${message.messageId}' has exceeded its age limit while waiting for rate limit '${limiter.key}'.`);
    message.fail();
    throw new SkipMessage("Message age limit exceeded while waiting for a rate limit slot");
  }
}
