import { setTimeout as sleep } from "node:timers/promises";
import { Barrier, GroupCallbacks, QError, Worker, actor, group, pipeline } from "@q/core";
import { MemoryRateLimiterBackend } from "@q/core/testing";
import pino from "pino";
import { StubBroker } from "../src";

/** A backend on a hand-driven clock. */
function manualClock() {
  let now = 1_000;
  return {
    backend: new MemoryRateLimiterBackend({ now: () => now }),
    advance(ms: number) {
      now += ms;
    },
  };
}

/** Whether `promise` has settled after the microtask queue drains. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe("MemoryRateLimiterBackend values", () => {
  test("add sets a missing key only, and again once it has expired", async () => {
    const { backend, advance } = manualClock();
    expect(await backend.add("k", 5, 100)).toBe(true);
    expect(await backend.add("k", 7, 100)).toBe(false);
    advance(99);
    expect(await backend.add("k", 7, 100)).toBe(false);
    advance(1);
    expect(await backend.add("k", 7, 100)).toBe(true);
    // The value is 7 now: it can go down to 0 but not below.
    expect(await backend.decr("k", 7, 0, 100)).toBe(true);
    expect(await backend.decr("k", 1, 0, 100)).toBe(false);
  });

  test("incr adds up to the maximum and refuses to go above it", async () => {
    const { backend } = manualClock();
    await backend.add("k", 1, 1000);
    expect(await backend.incr("k", 1, 3, 1000)).toBe(true); // 2
    expect(await backend.incr("k", 1, 3, 1000)).toBe(true); // 3
    expect(await backend.incr("k", 1, 3, 1000)).toBe(false); // would be 4
    expect(await backend.incr("k", 5, 3, 1000)).toBe(false);
    // Failed increments changed nothing: 3 → 0 takes exactly three steps.
    expect(await backend.decr("k", 3, 0, 1000)).toBe(true);
    expect(await backend.decr("k", 1, 0, 1000)).toBe(false);
  });

  test("decr subtracts down to the minimum and refuses to go below it", async () => {
    const { backend } = manualClock();
    await backend.add("k", 3, 1000);
    expect(await backend.decr("k", 1, 1, 1000)).toBe(true); // 2
    expect(await backend.decr("k", 1, 1, 1000)).toBe(true); // 1
    expect(await backend.decr("k", 1, 1, 1000)).toBe(false); // would be 0
    expect(await backend.incr("k", 2, 3, 1000)).toBe(true); // 1 + 2 = 3
    expect(await backend.incr("k", 1, 3, 1000)).toBe(false);
  });

  test("incr and decr count a missing or expired key as 0, as Dramatiq's Redis backend does", async () => {
    const { backend, advance } = manualClock();
    expect(await backend.incr("missing", 1, 10, 1000)).toBe(true); // 0 + 1 <= 10: created at 1
    expect(await backend.add("missing", 5, 1000)).toBe(false); // it exists now
    expect(await backend.decr("absent", 1, 0, 1000)).toBe(false); // 0 - 1 < 0: refused, nothing created
    expect(await backend.add("absent", 1, 1000)).toBe(true);
    await backend.add("short", 7, 50);
    advance(50);
    expect(await backend.incr("short", 1, 1, 1000)).toBe(true); // expired: counts as 0, not 7
    expect(await backend.incr("short", 1, 1, 1000)).toBe(false); // now 1: at the maximum
  });

  test("a successful incr or decr refreshes the TTL; a refused one does not", async () => {
    const { backend, advance } = manualClock();
    await backend.add("k", 1, 100);
    advance(80);
    expect(await backend.incr("k", 1, 5, 100)).toBe(true); // lives until +180
    advance(80);
    expect(await backend.decr("k", 1, 0, 100)).toBe(true); // lives until +260
    advance(80);
    expect(await backend.add("k", 9, 100)).toBe(false); // still alive at +240
    expect(await backend.incr("k", 10, 5, 1000)).toBe(false); // refused: TTL unchanged (ends +260)
    advance(20);
    expect(await backend.add("k", 9, 100)).toBe(true); // expired at +260
  });

  test("incrAndSum bounds the key and the sum over the window's keys", async () => {
    const { backend, advance } = manualClock();
    const keys = () => ["w@3", "w@2", "w@1"];
    await backend.add("w@1", 2, 10_000);
    await backend.add("w@2", 1, 10_000);
    // A missing key counts as 0 and is created: 1 + (0 + 1 + 2) = 4 <= 4.
    expect(await backend.incrAndSum("w@3", keys, 1, 4, 10_000)).toBe(true);
    expect(await backend.incrAndSum("w@3", keys, 1, 4, 10_000)).toBe(false); // the sum would be 5
    expect(await backend.add("w@3", 0, 10_000)).toBe(false); // it was created
    // Expired keys no longer count towards the sum.
    advance(10_000);
    await backend.add("w@3", 4, 10_000);
    expect(await backend.incrAndSum("w@3", keys, 1, 4, 10_000)).toBe(false); // the key itself would be 5
    expect(await backend.incrAndSum("w@4", () => ["w@4", "w@3"], 1, 5, 10_000)).toBe(true); // 1 + 4 <= 5
    expect(await backend.incrAndSum("w@5", () => ["w@5", "w@4", "w@3"], 1, 5, 10_000)).toBe(false); // 1 + 1 + 4 > 5
  });

  test("expired keys are dropped, so memory stays bounded by the live keys", async () => {
    const { backend, advance } = manualClock();
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 1000; i++) await backend.add(`r${round}:${i}`, 1, 10);
      for (let i = 0; i < 100; i++) await backend.waitNotify(`e${round}:${i}`, 10);
      advance(10);
    }
    // 22,000 keys were written, at most ~1,100 are live at a time.
    expect(backend.size).toBeLessThan(5_000);
    // Touching an expired key drops it.
    await backend.add("solo", 1, 10);
    const before = backend.size;
    advance(10);
    expect(await backend.decr("solo", 1, 0, 10)).toBe(false); // expired: counts as 0, refused
    expect(backend.size).toBe(before - 1);
  });
});

describe("MemoryRateLimiterBackend events", () => {
  afterEach(() => jest.useRealTimers());

  test("wait resolves true as soon as the key is notified", async () => {
    const backend = new MemoryRateLimiterBackend();
    const waiting = backend.wait("ev", 5_000);
    expect(await isSettled(waiting)).toBe(false);
    await backend.waitNotify("ev", 1_000);
    await expect(waiting).resolves.toBe(true);
  });

  test("wait resolves false when its timeout passes first", async () => {
    const backend = new MemoryRateLimiterBackend();
    const started = Date.now();
    await expect(backend.wait("ev", 30)).resolves.toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    await expect(backend.wait("ev", 0)).resolves.toBe(false);
  });

  test("every waiter is woken by one notification", async () => {
    const backend = new MemoryRateLimiterBackend();
    const waits = [backend.wait("ev", undefined), backend.wait("ev", 5_000), backend.wait("ev", undefined)];
    await backend.waitNotify("ev", 1_000);
    await expect(Promise.all(waits)).resolves.toEqual([true, true, true]);
    // Other keys are not notified.
    await expect(backend.wait("other", 20)).resolves.toBe(false);
  });

  test("a notification made before the wait counts while its TTL lasts", async () => {
    const { backend, advance } = manualClock();
    await backend.waitNotify("ev", 100);
    await expect(backend.wait("ev", 0)).resolves.toBe(true);
    await expect(backend.wait("ev", undefined)).resolves.toBe(true);
    advance(100);
    await expect(backend.wait("ev", 0)).resolves.toBe(false);
  });

  test("waiting is event-driven: no timer runs while waiting forever", async () => {
    jest.useFakeTimers();
    const backend = new MemoryRateLimiterBackend();
    const waiting = backend.wait("ev", undefined);
    expect(jest.getTimerCount()).toBe(0);
    await backend.waitNotify("ev", 1_000);
    await expect(waiting).resolves.toBe(true);
    // A bounded wait holds exactly one timer, released when notified.
    const bounded = backend.wait("ev2", 10_000);
    expect(jest.getTimerCount()).toBe(1);
    await backend.waitNotify("ev2", 1_000);
    await expect(bounded).resolves.toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe("Barrier on the memory backend", () => {
  test("non-blocking: only the last party clears it, and it stays cleared", async () => {
    const backend = new MemoryRateLimiterBackend();
    const barrier = new Barrier(backend, "sequential", { ttl: 60_000 });
    expect(await barrier.create(2)).toBe(true);
    expect(await barrier.create(2)).toBe(false);
    expect(await barrier.wait({ block: false })).toBe(false);
    expect(await barrier.wait({ block: false })).toBe(true);
    expect(await barrier.wait({ block: false })).toBe(true);
  });

  test("barriers can block: a waiter blocks until the last party arrives (spec 17.1 #46)", async () => {
    const backend = new MemoryRateLimiterBackend();
    const barrier = new Barrier(backend, "blocking", { ttl: 60_000 });
    await barrier.create(2);
    const events: string[] = [];
    const first = barrier.wait().then((cleared) => {
      events.push("first released");
      return cleared;
    });
    await sleep(30);
    expect(await isSettled(first)).toBe(false);
    events.push("last arrives");
    await expect(barrier.wait()).resolves.toBe(true);
    await expect(first).resolves.toBe(true);
    expect(events).toEqual(["last arrives", "first released"]);
  });

  test("a blocking wait gives false when the timeout passes first", async () => {
    const backend = new MemoryRateLimiterBackend();
    const barrier = new Barrier(backend, "timeout", { ttl: 60_000 });
    await barrier.create(2);
    await expect(barrier.wait({ timeout: 30 })).resolves.toBe(false);
  });
});

describe("GroupCallbacks with the memory backend on the stub broker", () => {
  let broker: StubBroker;
  let worker: Worker;

  beforeEach(async () => {
    broker = new StubBroker({ logger: pino({ level: "silent" }) });
    broker.addMiddleware(new GroupCallbacks(new MemoryRateLimiterBackend()));
    worker = new Worker(broker, { timeout: 50 });
    await worker.start();
  });

  afterEach(async () => {
    await worker.stop({ timeout: 1000 });
  });

  test("groups of pipelines can have completion callbacks (spec 17.1 #45)", async () => {
    const stored: number[] = [];
    const completions: { label: string; storedSoFar: number[] }[] = [];
    const double = actor((x: number) => x * 2, { broker, actorName: "double" });
    const store = actor(
      async function store(x: number) {
        await sleep(10 * x);
        stored.push(x);
      },
      { broker },
    );
    const done = actor(
      function done(label: string) {
        completions.push({ label, storedSoFar: [...stored].sort() });
      },
      { broker },
    );
    const g = group([pipeline([double.message(1), store.messageWithOptions({})], { broker }), pipeline([double.message(2), store.messageWithOptions({})], { broker })], { broker });
    g.addCompletionCallback(done.message("all stored"));
    await g.run();
    await broker.join("default", { timeout: 5_000 });
    expect(stored.sort()).toEqual([2, 4]);
    expect(completions).toEqual([{ label: "all stored", storedSoFar: [2, 4] }]);
  });

  test("a group of messages runs its callbacks once, after every member", async () => {
    const ran: number[] = [];
    const completions: number[][] = [];
    const work = actor(
      async function work(n: number) {
        await sleep(5 * n);
        ran.push(n);
      },
      { broker },
    );
    const finish = actor(
      function finish() {
        completions.push([...ran].sort());
      },
      { broker },
    );
    const g = group([work.message(1), work.message(2), work.message(3)], { broker });
    g.addCompletionCallback(finish.message()).addCompletionCallback(finish.message());
    await g.run();
    await broker.join("default", { timeout: 5_000 });
    expect(completions).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
  });

  test("a member that fails for good keeps the callbacks from running", async () => {
    const completions: string[] = [];
    const ok = actor(function ok() {}, { broker });
    const bad = actor(
      function bad() {
        throw new Error("nope");
      },
      { broker, maxRetries: 0 },
    );
    const finish = actor(
      function finish() {
        completions.push("done");
      },
      { broker },
    );
    const g = group([ok.message(), bad.message()], { broker }).addCompletionCallback(finish.message());
    await g.run();
    await broker.join("default", { timeout: 5_000, failFast: false });
    expect(completions).toEqual([]);
    expect(broker.deadLetters.map((m) => m.actorName)).toEqual(["bad"]);
  });

  test("completion callbacks need the GroupCallbacks middleware", async () => {
    const plain = new StubBroker({ logger: pino({ level: "silent" }) });
    const a = actor(function a() {}, { broker: plain });
    const g = group([a.message()], { broker: plain }).addCompletionCallback(a.message());
    await expect(g.run()).rejects.toBeInstanceOf(QError);
  });
});
