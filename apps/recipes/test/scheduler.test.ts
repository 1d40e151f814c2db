// Three scheduler instances (each with its own broker and Redis connections, as three
// processes would have) on an every-second cron for ~3.5 s: each tick is enqueued exactly
// once, a worker runs each tick's job once, and stop() leaves nothing ticking.
import { setTimeout as sleep } from "node:timers/promises";
import { RedisBroker } from "@q/broker-redis";
import { type Actor, Worker, actor } from "@q/core";
import { silentLogger, waitFor } from "@q/test-support";
import { REDIS_URL, deleteNamespace, freshNamespace, requireRedis } from "@q/test-support/redis";
import { RedisRateLimiterBackend } from "@q/rate-limits/redis";
import Redis from "ioredis";
import { startScheduler } from "../src/scheduler";

// A fresh namespace per test: its brokers' keys, its queue and its claim keys.
let namespace: string;
let queueName: string;
let keyPrefix: string;
let admin: Redis;

beforeAll(async () => {
  await requireRedis();
  admin = new Redis(REDIS_URL);
});

beforeEach(() => {
  namespace = freshNamespace("qrecipes");
  queueName = `scheduled-${namespace}`;
  keyPrefix = `${namespace}:scheduler`;
});

afterEach(() => deleteNamespace(admin, namespace));

afterAll(() => admin.quit());

/** One scheduler process: its broker, its actor declaration, its limiter backend. */
function instance(ran?: string[]) {
  const broker = new RedisBroker({ url: REDIS_URL, namespace, logger: silentLogger() });
  const tick: Actor<[string], void> = actor(
    function tick(scheduledFor: string) {
      ran?.push(scheduledFor);
    },
    { broker, queueName },
  );
  const backend = new RedisRateLimiterBackend({ url: REDIS_URL });
  return {
    broker,
    tick,
    backend,
    async close() {
      await backend.close();
      await broker.close();
    },
  };
}

test("3 instances, every second for 3.5 s: ticks X+1, X+2, X+3 are each enqueued once and run once; stop() ends the ticking", async () => {
  const ran: string[] = [];
  const workerSide = instance(ran);
  const worker = new Worker(workerSide.broker, { concurrency: 2 });
  await worker.start();
  const instances = [instance(), instance(), instance()];
  const enqueued: Array<{ by: number; at: string; id: string }> = [];

  // Start 100 ms past a whole second X and stop 3.5 s later, at X+3.6: the window holds the
  // ticks X+1, X+2 and X+3 with half a second to spare on either side.
  await sleep(1000 - (Date.now() % 1000) + 100);
  const x = Math.floor(Date.now() / 1000) * 1000;
  const stops = instances.map((inst, by) =>
    startScheduler({
      backend: inst.backend,
      keyPrefix,
      jobs: [{ cron: "* * * * * *", actor: inst.tick, args: (at) => [at.toISOString()] }],
      onEnqueued: (_job, at, id) => enqueued.push({ by, at: at.toISOString(), id }),
    }),
  );
  await sleep(x + 3600 - Date.now());
  await Promise.all(stops.map((stop) => stop()));
  const expected = [1, 2, 3].map((s) => new Date(x + s * 1000).toISOString());

  try {
    // Exactly one enqueue per tick, across the three instances, with distinct message ids.
    expect(enqueued.map((e) => e.at).sort()).toEqual(expected);
    expect(new Set(enqueued.map((e) => e.id)).size).toBe(3);
    // The worker ran each tick's job once.
    await waitFor("the three ticks to run", () => ran.length >= 3);
    await sleep(300);
    expect([...ran].sort()).toEqual(expected);
    // One claim per tick in Redis, each with a TTL.
    const claims = (await admin.keys(`${keyPrefix}:*`)).sort();
    expect(claims).toEqual(expected.map((at) => `${keyPrefix}:tick@* * * * * *:${at}`));
    for (const key of claims) expect(await admin.pttl(key)).toBeGreaterThan(0);

    // Stopped: no instance enqueues anything more.
    await sleep(1500);
    expect(enqueued).toHaveLength(3);
    expect(ran).toHaveLength(3);
  } finally {
    await worker.stop();
    await Promise.all([...instances, workerSide].map((i) => i.close()));
  }
}, 30_000);

test("a tick another instance already claimed is not enqueued again", async () => {
  const inst = instance();
  const enqueued: string[] = [];
  try {
    // Claim the next three seconds' ticks up front, as a faster instance would have.
    const now = Math.floor(Date.now() / 1000) * 1000;
    for (let s = 1; s <= 3; s++) await admin.set(`${keyPrefix}:pre:tick@* * * * * *:${new Date(now + s * 1000).toISOString()}`, "1", "PX", 60_000);
    const stop = startScheduler({
      backend: inst.backend,
      keyPrefix: `${keyPrefix}:pre`,
      jobs: [{ cron: "* * * * * *", actor: inst.tick, args: (at) => [at.toISOString()] }],
      onEnqueued: (_job, at) => enqueued.push(at.toISOString()),
    });
    await sleep(now + 3500 - Date.now());
    await stop();
    expect(enqueued).toEqual([]);
  } finally {
    await inst.close();
  }
}, 30_000);

test("bad jobs are refused at start", async () => {
  const inst = instance();
  try {
    expect(() => startScheduler({ backend: inst.backend, jobs: [] })).toThrow("startScheduler needs at least one job.");
    expect(() =>
      startScheduler({
        backend: inst.backend,
        jobs: [
          { cron: "* * * * *", actor: inst.tick },
          { cron: "* * * * *", actor: inst.tick },
        ],
      }),
    ).toThrow("Two scheduled jobs share a name");
    expect(() => startScheduler({ backend: inst.backend, jobs: [{ cron: "not a cron", actor: inst.tick }] })).toThrow(/CronPattern/);
    // a good job before a bad one: refused as a whole
    expect(() => startScheduler({ backend: inst.backend, jobs: [{ cron: "* * * * * *", actor: inst.tick, name: "good" }, { cron: "61 * * * * *", actor: inst.tick }] })).toThrow(/CronPattern/);
    expect(() => startScheduler({ backend: inst.backend, claimTtl: 10, jobs: [{ cron: "* * * * *", actor: inst.tick }] })).toThrow("claimTtl must be at least 1000 ms, got 10.");
  } finally {
    await inst.close();
  }
});
