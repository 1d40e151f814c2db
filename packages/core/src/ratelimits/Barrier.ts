import type { RateLimiterBackend } from "./RateLimiterBackend";

/**
 * A distributed barrier: `create(parties)`, then each party calls `wait()`; the last
 * one clears it. Group completion callbacks are built on it. Same keys as Dramatiq
 * (`<key>` holds the count, `<key>@events` the notification).
 *
 * @example
 * const barrier = new Barrier(backend, "import-42", { ttl: 60_000 });
 * await barrier.create(3);
 * const cleared = await barrier.wait({ block: false });
 */
export class Barrier {
  readonly ttl: number;

  constructor(
    readonly backend: RateLimiterBackend,
    readonly key: string,
    options: { ttl?: number } = {},
  ) {
    this.ttl = options.ttl ?? 900_000;
  }

  /** Creates the barrier for `parties` parties; false if it already exists. */
  create(parties: number): Promise<boolean> {
    return this.backend.add(this.key, parties, this.ttl);
  }

  /**
   * Signals one party's arrival. The last party clears the barrier and gets true;
   * others get false, or with `block`, wait (up to `timeout` ms) for the clearing.
   */
  async wait(options: { block?: boolean; timeout?: number } = {}): Promise<boolean> {
    const { block = true, timeout } = options;
    const released = await this.backend.decr(this.key, 1, 1, this.ttl);
    if (!released) {
      await this.backend.waitNotify(`${this.key}@events`, this.ttl);
      return true;
    }
    if (!block) return false;
    return this.backend.wait(`${this.key}@events`, timeout);
  }
}
