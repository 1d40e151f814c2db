/**
 * Internal: fails Redis calls that take longer than a deadline (a reconnect that
 * never comes), with one shared timer instead of a timer per call — calls are on
 * the hot path, deadlines are rare.
 */
export class OperationWatchdog {
  private readonly pending = new Set<{ deadline: number; fail: (error?: Error) => void }>();
  private timer: NodeJS.Timeout | undefined;

  /** @param resolution the shortest timeout used: deadlines are checked a few times per it. */
  constructor(private readonly resolution: number) {}

  /** Settles like `operation`, or calls `onTimeout` to build the rejection after `timeout` ms. */
  watch<T>(operation: Promise<T>, onTimeout: () => Error, timeout: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry = { deadline: Date.now() + timeout, fail: (error?: Error) => reject(error ?? onTimeout()) };
      this.pending.add(entry);
      this.arm();
      operation.then(
        (value) => {
          this.pending.delete(entry);
          resolve(value);
        },
        (error) => {
          this.pending.delete(entry);
          reject(error);
        },
      );
    });
  }

  /** Rejects every watched call now with `error` (the connection they were sent on is gone). */
  failAll(error: Error): void {
    const entries = [...this.pending];
    this.pending.clear();
    for (const entry of entries) entry.fail(error);
  }

  private arm(): void {
    if (this.timer) return;
    // Checks a few times per timeout: a call fails at most a quarter-timeout late.
    this.timer = setInterval(() => this.check(), Math.max(10, Math.min(1000, this.resolution / 4)));
    this.timer.unref();
  }

  private check(): void {
    const now = Date.now();
    for (const entry of this.pending) {
      if (entry.deadline <= now) {
        this.pending.delete(entry);
        entry.fail();
      }
    }
    if (this.pending.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
