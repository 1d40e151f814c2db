import { setTimeout as sleep } from "node:timers/promises";
import { ArgumentError, RateLimitExceeded, type RateLimiterBackend } from "@q/core";
import { BucketRateLimiter, ConcurrentRateLimiter, WindowRateLimiter } from "../src";
import { waitFor } from "@q/test-support";
import { BACKENDS, freshKey } from "./backends";

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe.each(BACKENDS)("limiters on the $name backend", (kind) => {
  let backend: RateLimiterBackend & { close?(): Promise<void> };
  beforeAll(() => kind.require());
  beforeEach(() => (backend = kind.make()));
  afterEach(() => backend.close?.());

  test("a concurrent limiter of 1 is a mutex: of 8 concurrent callers exactly one runs (spec 17.1 #47)", async () => {
    const mutex = new ConcurrentRateLimiter(backend, freshKey("mutex"), { limit: 1 });
    let calls = 0;
    let refused = 0;
    // The holder keeps the slot until the other 7 were refused, however slow the machine is.
    const allRefused = deferred();
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () =>
        mutex.tryAcquire(async (acquired) => {
          if (!acquired) {
            if (++refused === 7) allRefused.resolve();
            return false;
          }
          calls++;
          await allRefused.promise;
          return true;
        }),
      ),
    );
    expect(calls).toBe(1);
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    // Released: the next caller gets it.
    await expect(mutex.acquire(async () => "again")).resolves.toBe("again");
  });

  test("acquire throws RateLimitExceeded naming the key, without calling the function, when no slot is free", async () => {
    const key = freshKey("busy");
    const limiter = new ConcurrentRateLimiter(backend, key, { limit: 2 });
    const ran: string[] = [];
    const release = deferred();
    const hold = Promise.all([1, 2].map((n) => limiter.acquire(async () => { ran.push(`hold ${n}`); await release.promise; })));
    await waitFor("both slots to be held", () => ran.length === 2);
    const error = await limiter.acquire(async () => void ran.push("third")).catch((e: unknown) => e);
    release.resolve();
    expect(error).toBeInstanceOf(RateLimitExceeded);
    expect((error as Error).message).toBe(`rate limit exceeded for key '${key}'`);
    await hold;
    expect(ran.sort()).toEqual(["hold 1", "hold 2"]);
  });

  test("a slot is given back when the function throws, and the function's error is what acquire throws", async () => {
    const mutex = new ConcurrentRateLimiter(backend, freshKey("throws"));
    const boom = new Error("boom");
    await expect(mutex.acquire(async () => { throw boom; })).rejects.toBe(boom);
    await expect(mutex.tryAcquire(async (acquired) => acquired)).resolves.toBe(true);
  });

  test("a slot is given back as soon as the signal aborts, even if the function never settles", async () => {
    const mutex = new ConcurrentRateLimiter(backend, freshKey("abort"));
    const controller = new AbortController();
    let entered = false;
    const stuck = mutex.acquire(() => { entered = true; return new Promise<never>(() => undefined) }, { signal: controller.signal });
    await waitFor("the slot to be held", () => entered);
    await expect(mutex.tryAcquire(async (acquired) => acquired)).resolves.toBe(false);
    controller.abort(new Error("time's up"));
    await expect(stuck).rejects.toThrow("time's up");
    await expect(mutex.tryAcquire(async (acquired) => acquired)).resolves.toBe(true);
  });

  test("waitForSlot takes the next free slot, in order, and gives up at its deadline", async () => {
    const mutex = new ConcurrentRateLimiter(backend, freshKey("wait"));
    expect(await mutex.acquireSlot()).toBe(true);
    const order: number[] = [];
    const first = mutex.waitForSlot().then((got) => { order.push(1); return got; });
    const late = mutex.waitForSlot({ deadline: Date.now() + 100 });
    expect(await late).toBe(false);
    await mutex.releaseSlot();
    expect(await first).toBe(true);
    expect(order).toEqual([1]);
    await mutex.releaseSlot();
    expect(await mutex.acquireSlot()).toBe(true);
    await mutex.releaseSlot();
  });

  test("a bucket limiter lets `limit` through per bucket, keyed <key>@<bucket start ms>", async () => {
    const key = freshKey("bucket");
    const limiter = new BucketRateLimiter(backend, key, { limit: 3, bucket: 1000 });
    // Start just after a bucket boundary, so all attempts fall into one bucket.
    await sleep(1000 - (Date.now() % 1000) + 5);
    const start = Date.now() - (Date.now() % 1000);
    const got = await Promise.all(Array.from({ length: 10 }, () => limiter.acquireSlot()));
    expect(got.filter(Boolean)).toHaveLength(3);
    // The bucket's key holds the count: it is at its limit.
    expect(await backend.incr(`${key}@${start}`, 1, 3, 1000)).toBe(false);
    expect(await backend.incr(`${key}@${start}`, 1, 4, 1000)).toBe(true);
  });

  test("a window limiter lets `limit` through per window of seconds (spec 17.1 #48)", async () => {
    const key = freshKey("window");
    const limiter = new WindowRateLimiter(backend, key, { limit: 2, window: 1 });
    await sleep(1000 - (Date.now() % 1000) + 5);
    const second = Math.floor(Date.now() / 1000);
    const got = await Promise.all(Array.from({ length: 8 }, () => limiter.acquireSlot()));
    expect(got.filter(Boolean)).toHaveLength(2);
    expect(await backend.incr(`${key}@${second}`, 1, 2, 1000)).toBe(false); // the second's counter is full
    await sleep(1000 - (Date.now() % 1000) + 5);
    const next = await Promise.all(Array.from({ length: 8 }, () => limiter.acquireSlot()));
    expect(next.filter(Boolean)).toHaveLength(2);
  });
});

describe("limiter parameters", () => {
  const backend = BACKENDS[0]!.make();
  test("defaults are Dramatiq's", () => {
    expect(new ConcurrentRateLimiter(backend, "k")).toMatchObject({ limit: 1, ttl: 900_000, key: "k" });
    expect(new BucketRateLimiter(backend, "k")).toMatchObject({ limit: 1, bucket: 1000 });
    expect(new WindowRateLimiter(backend, "k")).toMatchObject({ limit: 1, window: 1 });
  });
  test.each([0, -1, 1.5, NaN, "2"])("a limit of %p is an ArgumentError", (limit) => {
    expect(() => new ConcurrentRateLimiter(backend, "k", { limit: limit as number })).toThrow(ArgumentError);
    expect(() => new BucketRateLimiter(backend, "k", { limit: limit as number })).toThrow(ArgumentError);
    expect(() => new WindowRateLimiter(backend, "k", { limit: limit as number })).toThrow(ArgumentError);
  });
  test("a window of 0 and an empty key are ArgumentErrors", () => {
    expect(() => new WindowRateLimiter(backend, "k", { window: 0 })).toThrow("WindowRateLimiter window must be a positive integer, got 0.");
    expect(() => new ConcurrentRateLimiter(backend, "")).toThrow(ArgumentError);
  });
});
