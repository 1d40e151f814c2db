import type { RateLimiterBackend } from "@q/core";
import { RateLimiter } from "./RateLimiter";
import { positiveInteger } from "./positiveInteger";

/** Options of {@link ConcurrentRateLimiter}. */
export interface ConcurrentRateLimiterOptions {
  /** Slots held at once across every process; default 1 (a distributed mutex). */
  limit?: number;
  /**
   * Milliseconds the counter lives after its last change; default 900000 (15 minutes).
   * A holder that dies without releasing keeps its slot until then, never longer, so make
   * it longer than the longest run and short enough to recover from a crash.
   */
  ttl?: number;
}

/**
 * At most `limit` holders at once, across every process sharing the backend and the key
 * (Dramatiq's `ConcurrentRateLimiter`; limit 1 is a distributed mutex). A slot is the
 * counter at `key`: acquiring adds 1 (`add`, else `incr` up to `limit`), releasing takes
 * 1 off (`decr` down to 0), each refreshing the TTL.
 *
 * @example
 * const backend = new RedisRateLimiterBackend({ url: "redis://127.0.0.1:6379" });
 * const mutex = new ConcurrentRateLimiter(backend, "distributed-mutex", { limit: 1 });
 * const oneAtATime = actor(async function oneAtATime() {
 *   await mutex.acquire(async () => { ... });
 * });
 */
export class ConcurrentRateLimiter extends RateLimiter {
  readonly limit: number;
  readonly ttl: number;

  constructor(backend: RateLimiterBackend, key: string, options: ConcurrentRateLimiterOptions = {}) {
    super(backend, key);
    this.limit = positiveInteger(options.limit ?? 1, "ConcurrentRateLimiter limit");
    this.ttl = positiveInteger(options.ttl ?? 900_000, "ConcurrentRateLimiter ttl");
  }

  override async acquireSlot(): Promise<boolean> {
    if (await this.backend.add(this.key, 1, this.ttl)) return true;
    return this.backend.incr(this.key, 1, this.limit, this.ttl);
  }

  override async releaseSlot(): Promise<void> {
    await this.backend.decr(this.key, 1, 0, this.ttl);
    await super.releaseSlot();
  }

  /** 5 ms, doubling to 100 ms, each scaled by a random 0.5-1 so processes do not poll in step. */
  protected override retryDelay(attempt: number): number {
    return Math.min(5 * 2 ** attempt, 100) * (0.5 + Math.random() / 2);
  }
}
