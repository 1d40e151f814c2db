import type { RateLimiterBackend } from "@q/core";
import { RateLimiter } from "./RateLimiter";
import { positiveInteger } from "./positiveInteger";

/** Options of {@link WindowRateLimiter}. */
export interface WindowRateLimiterOptions {
  /** Acquisitions per window; default 1. */
  limit?: number;
  /** The window's length in whole **seconds** (as in Dramatiq); default 1. */
  window?: number;
}

/**
 * At most `limit` acquisitions in any sliding window of `window` seconds (Dramatiq's
 * `WindowRateLimiter`): one counter per second, `"<key>@<epoch seconds>"`, each living
 * one window; acquiring adds 1 to the current second's counter only while the sum over
 * the window stays within `limit` (`incrAndSum`). Smoother than buckets, one key per
 * second of the window. Slots are not given back: they free as seconds leave the window.
 *
 * @example
 * const api = new WindowRateLimiter(backend, "partner-api", { limit: 100, window: 60 });
 * await api.acquire(async () => callPartner(request));
 */
export class WindowRateLimiter extends RateLimiter {
  readonly limit: number;
  readonly window: number;

  constructor(backend: RateLimiterBackend, key: string, options: WindowRateLimiterOptions = {}) {
    super(backend, key);
    this.limit = positiveInteger(options.limit ?? 1, "WindowRateLimiter limit");
    this.window = positiveInteger(options.window ?? 1, "WindowRateLimiter window");
  }

  override acquireSlot(): Promise<boolean> {
    const keys = this.keys();
    return this.backend.incrAndSum(keys[0]!, () => this.keys(), 1, this.limit, this.window * 1000);
  }

  /** The window's keys, the current second first. */
  private keys(): string[] {
    const now = Math.floor(Date.now() / 1000);
    return Array.from({ length: this.window }, (_, i) => `${this.key}@${now - i}`);
  }

  /** Until the next second starts (the oldest one then leaves the window). */
  protected override retryDelay(): number {
    return 1000 - (Date.now() % 1000) + 1;
  }
}
