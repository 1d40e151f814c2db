import type { RateLimiterBackend } from "../ratelimits/RateLimiterBackend";

/** Options of {@link MemoryRateLimiterBackend}. */
export interface MemoryRateLimiterBackendOptions {
  /** Milliseconds clock used for expiries; default `performance.now()` (monotonic). Tests may inject one. */
  now?: () => number;
}

interface Entry {
  value: number;
  expiresAt: number;
}

interface EventKey {
  /** When the last notification stops counting (`-Infinity`: never notified, or expired). */
  notifiedUntil: number;
  waiters: Set<(notified: boolean) => void>;
}

/** Below this many keys the store is never swept. */
const MIN_SWEEP_SIZE = 1024;

/**
 * An in-memory {@link RateLimiterBackend} for tests and single-process apps (Dramatiq's
 * `StubBackend`): numeric values with millisecond expiries, and event keys for
 * barriers. `incr`/`decr` refuse to cross their bound, count a missing or expired
 * key as 0 (as Dramatiq's Redis backend does), and refresh the TTL on every change. `wait` is event-driven (no polling) and, like Redis's list-based
 * events, sees a notification that happened before it as long as that notification's
 * TTL has not run out. Expired keys are dropped lazily (on access, plus an amortised
 * sweep as the store grows), so memory stays bounded by the live keys.
 *
 * @example
 * const backend = new MemoryRateLimiterBackend();
 * broker.addMiddleware(new GroupCallbacks(backend));
 * const barrier = new Barrier(backend, "import-42");
 * await barrier.create(2);
 */
export class MemoryRateLimiterBackend implements RateLimiterBackend {
  private readonly values = new Map<string, Entry>();
  private readonly events = new Map<string, EventKey>();
  private readonly now: () => number;
  private valuesSweepAt = MIN_SWEEP_SIZE;
  private eventsSweepAt = MIN_SWEEP_SIZE;

  constructor(options: MemoryRateLimiterBackendOptions = {}) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Keys held right now, values and event keys together (expired ones linger until touched or swept). */
  get size(): number {
    return this.values.size + this.events.size;
  }

  /**
   * Sets `key` to `value` for `ttl` ms unless it holds a live value.
   *
   * @example
   * await backend.add("mutex", 1, 60_000) // true the first time, false while it lives
   */
  async add(key: string, value: number, ttl: number): Promise<boolean> {
    if (this.get(key) !== undefined) return false;
    this.put(key, value, ttl);
    return true;
  }

  /**
   * Adds `amount` (a missing key counts as 0) unless the result would exceed `maximum`; refreshes the TTL.
   *
   * @example
   * await backend.incr("mutex", 1, 2, 60_000)
   */
  async incr(key: string, amount: number, maximum: number, ttl: number): Promise<boolean> {
    const value = this.get(key) ?? 0;
    if (value + amount > maximum) return false;
    this.put(key, value + amount, ttl);
    return true;
  }

  /**
   * Subtracts `amount` (a missing key counts as 0) unless the result would drop below `minimum`; refreshes the TTL.
   *
   * @example
   * await backend.decr("mutex", 1, 0, 60_000)
   */
  async decr(key: string, amount: number, minimum: number, ttl: number): Promise<boolean> {
    const value = this.get(key) ?? 0;
    if (value - amount < minimum) return false;
    this.put(key, value - amount, ttl);
    return true;
  }

  /**
   * Adds `amount` to `key` (missing counts as 0; it is created) unless `key` would exceed
   * `maximum` or `amount` plus the sum of the live values of `keys()` would (the window
   * limiter passes the keys of its whole window, `key` included).
   *
   * @example
   * await backend.incrAndSum("api@1700000000", () => ["api@1700000000", "api@1699999999"], 1, 10, 2_000)
   */
  async incrAndSum(key: string, keys: () => string[], amount: number, maximum: number, ttl: number): Promise<boolean> {
    const value = (this.get(key) ?? 0) + amount;
    if (value > maximum) return false;
    let sum = amount;
    for (const k of new Set(keys())) sum += this.get(k) ?? 0;
    if (sum > maximum) return false;
    this.put(key, value, ttl);
    return true;
  }

  /**
   * Resolves true when `key` is (or within `timeout` ms becomes) notified, false on
   * timeout. `timeout` undefined waits forever; 0 or less only checks.
   *
   * @example
   * const cleared = await backend.wait("import-42@events", 5_000)
   */
  wait(key: string, timeout: number | undefined): Promise<boolean> {
    const event = this.event(key);
    if (event && event.notifiedUntil > this.now()) return Promise.resolve(true);
    if (timeout !== undefined && timeout <= 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const entry = this.ensureEvent(key);
      let timer: NodeJS.Timeout | undefined;
      const waiter = (notified: boolean) => {
        clearTimeout(timer);
        entry.waiters.delete(waiter);
        if (entry.waiters.size === 0 && entry.notifiedUntil <= this.now() && this.events.get(key) === entry) this.events.delete(key);
        resolve(notified);
      };
      entry.waiters.add(waiter);
      if (timeout !== undefined) timer = setTimeout(() => waiter(false), timeout);
    });
  }

  /**
   * Notifies `key`: wakes every current waiter, and later waits see the notification
   * for `ttl` ms.
   *
   * @example
   * await backend.waitNotify("import-42@events", 60_000)
   */
  async waitNotify(key: string, ttl: number): Promise<void> {
    const entry = this.ensureEvent(key);
    entry.notifiedUntil = this.now() + ttl;
    for (const waiter of [...entry.waiters]) waiter(true);
  }

  /** The live value of `key`, dropping it if it has expired. */
  private get(key: string): number | undefined {
    const entry = this.values.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.values.delete(key);
      return undefined;
    }
    return entry.value;
  }

  private put(key: string, value: number, ttl: number): void {
    this.values.set(key, { value, expiresAt: this.now() + ttl });
    if (this.values.size >= this.valuesSweepAt) {
      const now = this.now();
      for (const [k, e] of this.values) if (e.expiresAt <= now) this.values.delete(k);
      this.valuesSweepAt = Math.max(MIN_SWEEP_SIZE, 2 * this.values.size);
    }
  }

  /** The event entry of `key`, forgetting an expired notification nobody waits on. */
  private event(key: string): EventKey | undefined {
    const entry = this.events.get(key);
    if (entry && entry.notifiedUntil <= this.now() && entry.waiters.size === 0) {
      this.events.delete(key);
      return undefined;
    }
    return entry;
  }

  private ensureEvent(key: string): EventKey {
    let entry = this.event(key);
    if (!entry) {
      entry = { notifiedUntil: -Infinity, waiters: new Set() };
      this.events.set(key, entry);
      if (this.events.size >= this.eventsSweepAt) {
        const now = this.now();
        for (const [k, e] of this.events) if (e.notifiedUntil <= now && e.waiters.size === 0 && e !== entry) this.events.delete(k);
        this.eventsSweepAt = Math.max(MIN_SWEEP_SIZE, 2 * this.events.size);
      }
    }
    return entry;
  }
}
