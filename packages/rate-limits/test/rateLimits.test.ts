/**
 * The waiting form (RateLimits middleware) and the throwing form in a worker, on the stub
 * broker with the memory and Redis backends.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type Broker, Middleware, Worker, actor, defaultMiddleware } from "@q/core";
import { StubBroker } from "@q/broker-stub";
import { captureLogger, waitFor } from "@q/test-support";
import { ConcurrentRateLimiter, RateLimits, WindowRateLimiter } from "../src";
import { BACKENDS, freshKey } from "./backends";

/** Counts retries (enqueues of a message that already ran). */
class RetryCounter extends Middleware {
  retries = 0;
  override afterEnqueue(_b: Broker, message: { options: Record<string, unknown> }): void {
    if (typeof message.options.retries === "number") this.retries++;
  }
}

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop({ timeout: 2_000 })));
});

function setup() {
  const { logger, find } = captureLogger("debug");
  const counter = new RetryCounter();
  const broker = new StubBroker({ logger, middleware: [...defaultMiddleware(), new RateLimits(), counter] });
  return { broker, counter, find };
}

async function start(broker: StubBroker, concurrency = 8): Promise<Worker> {
  const worker = new Worker(broker, { concurrency, timeout: 50 });
  workers.push(worker);
  await worker.start();
  return worker;
}

describe.each(BACKENDS.slice(0, 2))("the waiting form on the $name backend", (kind) => {
  beforeAll(() => kind.require());

  test("an actor with rateLimiter never runs more than `limit` at once, and nothing is retried", async () => {
    const { broker, counter, find } = setup();
    const backend = kind.make();
    const limiter = new ConcurrentRateLimiter(backend, freshKey("wait5"), { limit: 2 });
    let running = 0;
    let most = 0;
    const done: number[] = [];
    const work = actor(
      async (n: number) => {
        most = Math.max(most, ++running);
        await sleep(20);
        running--;
        done.push(n);
      },
      { broker, actorName: "work", queueName: "limited", rateLimiter: limiter },
    );
    await start(broker);
    for (let i = 0; i < 20; i++) await work.send(i);
    await broker.join("limited", { timeout: 10_000 });
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(most).toBe(2);
    expect(counter.retries).toBe(0);
    expect(find(20, "RateLimitExceeded")).toEqual([]);
    // Every slot came back.
    expect(await limiter.acquireSlot()).toBe(true);
    expect(await limiter.acquireSlot()).toBe(true);
    expect(await limiter.acquireSlot()).toBe(false);
    await backend.close?.();
  });

  test("while a limited actor waits, other actors keep running in the concurrency slots", async () => {
    const { broker } = setup();
    const backend = kind.make();
    const limiter = new ConcurrentRateLimiter(backend, freshKey("busy"), { limit: 1 });
    expect(await limiter.acquireSlot()).toBe(true); // held elsewhere
    const ran: string[] = [];
    const limited = actor((n: number) => void ran.push(`limited ${n}`), { broker, actorName: "limited", queueName: "limited", rateLimiter: limiter });
    const other = actor((n: number) => void ran.push(`other ${n}`), { broker, actorName: "other" });
    await start(broker, 2);
    for (let i = 0; i < 4; i++) await limited.send(i);
    for (let i = 0; i < 10; i++) await other.send(i);
    await broker.join("default", { timeout: 5_000 });
    expect(ran).toEqual(Array.from({ length: 10 }, (_, i) => `other ${i}`));
    await limiter.releaseSlot();
    await broker.join("limited", { timeout: 5_000 });
    expect(ran.slice(10).sort()).toEqual(["limited 0", "limited 1", "limited 2", "limited 3"]);
    await backend.close?.();
  });

  test("a time limit gives the slot back at once, and the message is retried", async () => {
    const { broker } = setup();
    const backend = kind.make();
    const limiter = new ConcurrentRateLimiter(backend, freshKey("timelimit"), { limit: 1 });
    let attempts = 0;
    const stuck = actor(
      async () => {
        if (++attempts === 1) await new Promise(() => undefined); // ignores its signal
      },
      { broker, actorName: "stuck", queueName: "limited", rateLimiter: limiter, timeLimit: 100, minBackoff: 10, maxBackoff: 10 },
    );
    await start(broker);
    await stuck.send();
    await waitFor("the retry to succeed", () => attempts === 2, { timeout: 5_000 });
    await broker.join("limited", { timeout: 5_000 });
    expect(await limiter.acquireSlot()).toBe(true);
    await backend.close?.();
  });

  test("a message that reaches its max age while waiting is dead-lettered, never run", async () => {
    const { broker, find } = setup();
    const backend = kind.make();
    const limiter = new WindowRateLimiter(backend, freshKey("age"), { limit: 1, window: 60 });
    expect(await limiter.acquireSlot()).toBe(true); // the window is full for a minute
    const ran: number[] = [];
    const old = actor((n: number) => void ran.push(n), { broker, actorName: "old", queueName: "limited", rateLimiter: limiter, maxAge: 200 });
    await start(broker);
    const started = Date.now();
    await old.send(1);
    await broker.join("limited", { timeout: 20_000, failFast: false });
    expect(Date.now() - started).toBeLessThan(30_000); // not held until the minute's window ends
    expect(ran).toEqual([]);
    expect(broker.deadLetters.map((m) => m.args)).toEqual([[1]]);
    expect(find(40, "exceeded its age limit while waiting for rate limit")).toHaveLength(1);
    await backend.close?.();
  });

  test("stopping the worker puts waiting messages back unstarted, and a later worker runs each once", async () => {
    const { broker } = setup();
    const backend = kind.make();
    const limiter = new ConcurrentRateLimiter(backend, freshKey("stop"), { limit: 1 });
    expect(await limiter.acquireSlot()).toBe(true);
    const ran: number[] = [];
    const work = actor((n: number) => void ran.push(n), { broker, actorName: "work", queueName: "limited", rateLimiter: limiter });
    const first = await start(broker);
    for (let i = 0; i < 3; i++) await work.send(i);
    await sleep(100);
    await first.stop({ timeout: 1_000 });
    expect(ran).toEqual([]);
    await limiter.releaseSlot();
    await start(broker);
    await broker.join("limited", { timeout: 5_000 });
    expect(ran.sort()).toEqual([0, 1, 2]);
    await backend.close?.();
  });
});

describe("the throwing form in a worker", () => {
  test("RateLimitExceeded retries the message with backoff and is logged at DEBUG, not ERROR", async () => {
    const { broker, counter, find } = setup();
    const backend = BACKENDS[0]!.make();
    const mutex = new ConcurrentRateLimiter(backend, "mutex");
    expect(await mutex.acquireSlot()).toBe(true);
    let runs = 0;
    const work = actor(
      async function work() {
        await mutex.acquire(async () => void runs++);
      },
      { broker, minBackoff: 20, maxBackoff: 20 },
    );
    await start(broker);
    await work.send();
    await waitFor("two retries", () => counter.retries >= 2);
    await mutex.releaseSlot();
    await broker.join("default", { timeout: 5_000 });
    expect(runs).toBe(1);
    expect(find(20, "with expected exception RateLimitExceeded").length).toBeGreaterThanOrEqual(2);
    expect(find(50, "RateLimitExceeded")).toEqual([]);
  });

  test("acquire called at the start of an actor uses its signal: a time limit frees the slot although the function hangs", async () => {
    const { broker } = setup();
    const backend = BACKENDS[0]!.make();
    const mutex = new ConcurrentRateLimiter(backend, "hang");
    const hang = actor(
      async function hang() {
        await mutex.acquire(() => new Promise<never>(() => undefined));
      },
      { broker, timeLimit: 100, maxRetries: 0 },
    );
    await start(broker);
    await hang.send();
    await broker.join("default", { timeout: 5_000, failFast: false });
    expect(await mutex.acquireSlot()).toBe(true);
  });

  test("an actor option that is not a limiter is refused at declaration", () => {
    const { broker } = setup();
    expect(() => actor(() => undefined, { broker, actorName: "bad", rateLimiter: { limit: 5 } })).toThrow(/rateLimiter must be a rate limiter of @q\/rate-limits/);
  });
});
