import type { RateLimiterBackend } from "@q/core";
import { RateLimiter } from "./RateLimiter";
import { positiveInteger } from "./positiveInteger";

/** Options of {@link BucketRateLimiter}. */
export interface BucketRateLimiterOptions {
  /** Acquisitions per bucket; default 1. */
  limit?: number;
  /** The bucket's length in milliseconds; default 1000. */
  bucket?: number;
}

/**
 * At most `limit` acquisitions per fixed time bucket (Dramatiq's `BucketRateLimiter`):
 * the key of the bucket starting at `t` ms is `"<key>@<t>"`, with `t = now - now %
 * bucket`, living one bucket. Cheap, but bursty at bucket edges: up to `2 × limit` can
 * pass within one bucket's length across two buckets (the window limiter does not).
 * Slots are not given back: they free when the next bucket starts.
 *
 * @example
 * const perSecond = new BucketRateLimiter(backend, "emails", { limit: 10, bucket: 1000 });
 * await perSecond.acquire(async () => sendEmail(to));
 */
export class BucketRateLimiter extends RateLimiter {
  readonly limit: number;
  readonly bucket: number;

  constructor(backend: RateLimiterBackend, key: string, options: BucketRateLimiterOptions = {}) {
    super(backend, key);
    this.limit = positiveInteger(options.limit ?? 1, "BucketRateLimiter limit");
    this.bucket = positiveInteger(options.bucket ?? 1000, "BucketRateLimiter bucket");
  }

  override async acquireSlot(): Promise<boolean> {
    const now = Date.now();
    const key = `${this.key}@${now - (now % this.bucket)}`;
    if (await this.backend.add(key, 1, this.bucket)) return true;
    return this.backend.incr(key, 1, this.limit, this.bucket);
  }

  /** Until the next bucket starts. */
  protected override retryDelay(): number {
    return this.bucket - (Date.now() % this.bucket) + 1;
  }
}
