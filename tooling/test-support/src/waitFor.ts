import { setTimeout as sleep } from "node:timers/promises";

/** How long {@link waitFor} keeps trying, and how often. */
export interface WaitForOptions {
  /** Milliseconds before it fails; default 10000 (process start-ups on a busy 2-core CI machine). */
  timeout?: number;
  /** Milliseconds between tries; default 20. */
  interval?: number;
}

/**
 * Calls `probe` until it returns something truthy and returns that; fails with an error
 * naming `what` after the timeout. For state another process or connection changes.
 *
 * @example
 * const line = await waitFor("the ready line", () => lines.find((l) => l.includes("ready")), { timeout: 10_000 });
 */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, { timeout = 10_000, interval = 20 }: WaitForOptions = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() >= deadline) throw new Error(`Timed out after ${timeout} ms waiting for ${what}.`);
    await sleep(interval);
  }
}
