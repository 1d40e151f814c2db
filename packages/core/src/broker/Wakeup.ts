/**
 * For consumers: lets `next()` sleep until something happens (a delivery, a wake-up, a
 * settled message, close) or a timeout, whichever comes first. One waiter at a time, as
 * a consumer is not used concurrently. A `notify()` with nobody waiting does nothing.
 *
 * @example
 * const wakeup = new Wakeup();
 * if (!(await wakeup.wait(1000))) return null; // timed out
 * // elsewhere, when a delivery arrives:
 * wakeup.notify();
 */
export class Wakeup {
  private waiter: (() => void) | undefined;

  /** Resolves true when notified, false after `ms` without a notice. */
  wait(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(false);
      }, ms);
      this.waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  /** Wakes the waiter, if any. */
  notify(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}
