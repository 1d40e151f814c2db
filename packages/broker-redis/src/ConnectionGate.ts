/**
 * Internal: where Redis calls wait while the connection is down, instead of in ioredis's
 * unbounded offline queue. Waiters are bounded in bytes (a producer sending into a stopped
 * Redis fails fast past the bound instead of growing), each has a deadline, and a waiter
 * that gave up was never handed to ioredis, so it can never be written later.
 */
export class ConnectionGate {
  private waiters: Waiter[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly limitBytes: number) {}

  /** Bytes of the calls waiting now. */
  get waitingBytes(): number {
    return this.bytes;
  }

  /**
   * Resolves at the next `open()`; rejects with `timedOut()` at `deadline`, or at once
   * with `full()` when `bytes` more would pass the bound.
   */
  wait(bytes: number, deadline: number, timedOut: () => Error, full: () => Error): Promise<void> {
    if (this.bytes + bytes > this.limitBytes && this.waiters.length > 0) return Promise.reject(full());
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ bytes, deadline, resolve, reject: () => reject(timedOut()) });
      this.bytes += bytes;
      this.arm();
    });
  }

  /** The connection is ready: every waiter goes, in the order it came. */
  open(): void {
    const waiters = this.waiters;
    this.waiters = [];
    this.bytes = 0;
    this.disarm();
    for (const w of waiters) w.resolve();
  }

  private arm(): void {
    // One timer for all waiters, checked four times a second: only runs during an outage.
    this.timer ??= setInterval(() => this.expire(), 250);
  }

  private disarm(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private expire(): void {
    const now = Date.now();
    const kept: Waiter[] = [];
    const expired: Waiter[] = [];
    for (const w of this.waiters) (w.deadline <= now ? expired : kept).push(w);
    this.waiters = kept;
    for (const w of expired) {
      this.bytes -= w.bytes;
      w.reject();
    }
    if (kept.length === 0) this.disarm();
  }
}

interface Waiter {
  bytes: number;
  deadline: number;
  resolve: () => void;
  reject: () => void;
}
