import { ArgumentError, RateLimitExceeded, type RateLimiterBackend, currentSignal } from "@q/core";

/** Options of {@link RateLimiter.acquire} and {@link RateLimiter.tryAcquire}. */
export interface AcquireOptions {
  /**
   * Gives the slot back as soon as this aborts, and rejects with its reason, even if the
   * function goes on running. Default: the running actor's signal (`currentSignal()`),
   * when `acquire` is called at the start of an actor, so a time limit or a worker
   * shutdown never keeps a slot.
   */
  signal?: AbortSignal;
}

/** Options of {@link RateLimiter.waitForSlot}. */
export interface WaitForSlotOptions {
  /** Stops waiting (rejects with its reason) when it aborts. */
  signal?: AbortSignal;
  /** Epoch ms after which waiting gives up: `waitForSlot` then resolves false. */
  deadline?: number;
}

interface Waiter {
  resolve(got: boolean): void;
  reject(error: unknown): void;
  signal: AbortSignal | undefined;
  deadline: number;
  done: boolean;
}

/**
 * The base of the rate limiters (Dramatiq's `RateLimiter`): a backend and a key; each
 * kind decides what a slot is. `acquire(fn)` runs `fn` holding a slot or throws
 * RateLimitExceeded (the message then retries with backoff); `tryAcquire(fn)` tells `fn`
 * whether it got one. Actors can also wait for a slot before they start, without a
 * retry: see {@link RateLimits}.
 *
 * @example
 * const mutex = new ConcurrentRateLimiter(backend, "distributed-mutex", { limit: 1 });
 * await mutex.acquire(async () => chargeCard(order));
 */
export abstract class RateLimiter {
  private readonly waiters: Waiter[] = [];
  private polling = false;
  private wakeUp: (() => void) | undefined;

  constructor(
    readonly backend: RateLimiterBackend,
    readonly key: string,
  ) {
    if (typeof key !== "string" || key.length === 0) throw new ArgumentError(`A rate limiter's key must be a non-empty string, got ${JSON.stringify(key)}.`);
    if (!backend || typeof backend.add !== "function") throw new ArgumentError("A rate limiter needs a RateLimiterBackend (Memory, Redis or Memcached).");
  }

  /**
   * Takes a slot now if one is free: true if it did. Pair a true with {@link releaseSlot}.
   * The building block of `acquire`; most code wants `acquire` instead.
   *
   * @example
   * if (await limiter.acquireSlot()) try { await work() } finally { await limiter.releaseSlot() }
   */
  abstract acquireSlot(): Promise<boolean>;

  /**
   * Gives a slot back (a concurrent limiter's; buckets and windows free theirs with time).
   *
   * @example
   * await limiter.releaseSlot();
   */
  async releaseSlot(): Promise<void> {
    this.wakeUp?.();
  }

  /**
   * Milliseconds until trying again may find a free slot, for the `attempt`-th failed try
   * in a row (0 first). Concurrent limiters back off; buckets and windows know when
   * the next one starts.
   */
  protected abstract retryDelay(attempt: number): number;

  /**
   * Runs `fn` holding a slot and gives the slot back when `fn` settles (or `signal`
   * aborts); throws {@link RateLimitExceeded} ("rate limit exceeded for key '<key>'")
   * without calling `fn` when no slot is free. Call it at the start of an actor (before
   * its first await) and the actor's own signal applies: a time limit or a shutdown
   * releases the slot at once.
   *
   * @example
   * const sync = actor(async function sync(id: string) {
   *   await mutex.acquire(async () => syncAccount(id)); // RateLimitExceeded → retried with backoff
   * });
   */
  acquire<T>(fn: () => T | Promise<T>, options: AcquireOptions = {}): Promise<T> {
    const signal = options.signal ?? ambientSignal();
    return this.run(signal, async (acquired) => {
      if (!acquired) throw new RateLimitExceeded(`rate limit exceeded for key '${this.key}'`);
      return fn();
    });
  }

  /**
   * Like {@link acquire}, but never throws for a busy limiter: `fn` is called with
   * whether it got the slot (Dramatiq's `acquire(raise_on_failure=False)`), and the slot,
   * if any, is given back when `fn` settles.
   *
   * @example
   * await mutex.tryAcquire(async (acquired) => {
   *   if (!acquired) return console.log("Lock could not be acquired.");
   *   console.log("Lock was acquired.");
   * });
   */
  tryAcquire<T>(fn: (acquired: boolean) => T | Promise<T>, options: AcquireOptions = {}): Promise<T> {
    return this.run(options.signal ?? ambientSignal(), fn);
  }

  /**
   * Waits until it takes a slot (resolves true; pair it with {@link releaseSlot}), or
   * the deadline passes (false), or `signal` aborts (rejects with its reason). Waiters in
   * one process queue in order and share one poller, so a busy limiter costs one backend
   * call per retry delay, not one per waiter; a release in this process wakes it at once.
   *
   * @example
   * if (await limiter.waitForSlot({ deadline: Date.now() + 5_000 })) {
   *   try { await work() } finally { await limiter.releaseSlot() }
   * }
   */
  waitForSlot(options: WaitForSlotOptions = {}): Promise<boolean> {
    const { signal, deadline = Infinity } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<boolean>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, deadline, done: false };
      const settle = (fn: () => void) => {
        if (waiter.done) return;
        waiter.done = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        fn();
      };
      const onAbort = () => settle(() => reject(signal!.reason));
      let timer: NodeJS.Timeout | undefined;
      if (deadline !== Infinity) timer = setTimeout(() => settle(() => resolve(false)), Math.min(Math.max(0, deadline - Date.now()), 2 ** 31 - 1));
      signal?.addEventListener("abort", onAbort, { once: true });
      waiter.resolve = (got) => settle(() => resolve(got));
      waiter.reject = (error) => settle(() => reject(error));
      this.waiters.push(waiter);
      this.wakeUp?.();
      if (!this.polling) void this.poll();
    });
  }

  /** The one poller per limiter: tries for the first live waiter, backs off while none is free. */
  private async poll(): Promise<void> {
    this.polling = true;
    let attempt = 0;
    try {
      for (;;) {
        while (this.waiters.length && this.waiters[0]!.done) this.waiters.shift();
        const head = this.waiters[0];
        if (!head) return;
        let got: boolean;
        try {
          got = await this.acquireSlot();
        } catch (error) {
          this.waiters.shift();
          head.reject(error);
          continue;
        }
        if (got) {
          this.waiters.shift();
          attempt = 0;
          // Given up meanwhile (aborted, deadline): the slot goes back at once.
          if (head.done) await this.releaseSlot().catch(() => undefined);
          else head.resolve(true);
          continue;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(wake, this.retryDelay(attempt++));
          function wake() {
            clearTimeout(timer);
            resolve();
          }
          this.wakeUp = wake;
        });
        this.wakeUp = undefined;
      }
    } finally {
      this.polling = false;
    }
  }

  /** Takes a slot, runs `fn`, gives the slot back once `fn` settles or `signal` aborts. */
  private async run<T>(signal: AbortSignal | undefined, fn: (acquired: boolean) => T | Promise<T>): Promise<T> {
    signal?.throwIfAborted();
    const acquired = await this.acquireSlot();
    if (!acquired) return fn(false);
    let released: Promise<void> | undefined;
    const release = () => (released ??= this.releaseSlot());
    if (!signal) {
      let result: T;
      try {
        result = await fn(true);
      } catch (error) {
        await release().catch(() => undefined); // the function's error is the one to see
        throw error;
      }
      await release();
      return result;
    }
    if (signal.aborted) {
      await release();
      throw signal.reason;
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        // Interrupted: the slot goes back now, whatever the function still does.
        void release().then(() => reject(signal.reason), () => reject(signal.reason));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      const finish = (outcome: () => void) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) return;
        outcome();
      };
      let running: Promise<T>;
      try {
        running = Promise.resolve(fn(true));
      } catch (error) {
        running = Promise.reject(error);
      }
      running.then(
        (value) => finish(() => void release().then(() => resolve(value), reject)),
        (error: unknown) => finish(() => void release().then(() => reject(error), () => reject(error))),
      );
    });
  }
}

/** The running actor's signal, when called in an actor's synchronous start; else none. */
function ambientSignal(): AbortSignal | undefined {
  try {
    return currentSignal();
  } catch {
    return undefined;
  }
}
