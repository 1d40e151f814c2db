/**
 * Storage for distributed rate limiters and barriers (Redis, memcached, memory).
 * Keys are used verbatim (no namespace), so Python and Node peers share them.
 * TTLs are milliseconds and are refreshed on every change.
 *
 * @example
 * class MyBackend implements RateLimiterBackend { ... }
 * broker.addMiddleware(new GroupCallbacks(new MyBackend()));
 */
export interface RateLimiterBackend {
  /** Sets `key` to `value` unless it exists; true when set. */
  add(key: string, value: number, ttl: number): Promise<boolean>;
  /** Adds `amount` unless the result would exceed `maximum`; true when changed. */
  incr(key: string, amount: number, maximum: number, ttl: number): Promise<boolean>;
  /** Subtracts `amount` unless the result would drop below `minimum`; true when changed. */
  decr(key: string, amount: number, minimum: number, ttl: number): Promise<boolean>;
  /** Adds `amount` to `key` unless it, or the sum over `keys()`, would exceed `maximum`. */
  incrAndSum(key: string, keys: () => string[], amount: number, maximum: number, ttl: number): Promise<boolean>;
  /** Waits up to `timeout` ms (forever when undefined) for a notification on `key`; true if notified. */
  wait(key: string, timeout: number | undefined): Promise<boolean>;
  /** Notifies every waiter on `key`, now and later (the notification lasts `ttl` ms). */
  waitNotify(key: string, ttl: number): Promise<void>;
}
