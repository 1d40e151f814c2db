/**
 * The Redis rate-limiter backend on a dedicated 3-primary Redis Cluster (`cluster` option):
 * every operation is one key, so limiters and barriers work on any slot, except a
 * WindowRateLimiter's `incrAndSum`, which reads its whole window in one script: with a
 * hash-tagged key it works, without one it fails with ConfigurationError naming the fix
 * (never a raw CROSSSLOT).
 */
import { Barrier, ConfigurationError } from "@q/core";
import { ConcurrentRateLimiter, WindowRateLimiter } from "../src";
import { RedisRateLimiterBackend } from "../src/redis";
import { RedisClusterServer } from "@q/test-support/redis-cluster";
import { freshKey } from "./backends";

jest.setTimeout(30_000);

let cluster: RedisClusterServer;
let backend: RedisRateLimiterBackend;

beforeAll(async () => {
  cluster = await RedisClusterServer.start();
  backend = new RedisRateLimiterBackend({ cluster: { nodes: cluster.startupNodes } });
}, 60_000);

afterAll(async () => {
  await backend?.close();
  await cluster?.destroy();
});

it("a ConcurrentRateLimiter and a Barrier work on keys of any slot", async () => {
  for (const name of ["a", "b", "c", "d"]) {
    const mutex = new ConcurrentRateLimiter(backend, freshKey(name), { limit: 1 });
    let ran = 0;
    await mutex.acquire(async () => {
      ran++;
      expect(await mutex.tryAcquire((acquired) => acquired)).toBe(false);
    });
    expect(ran).toBe(1);
  }
  // A blocking wait (BRPOPLPUSH on a connection of its own) cleared by the other party.
  const barrier = new Barrier(backend, freshKey("barrier"));
  expect(await barrier.create(2)).toBe(true);
  const first = barrier.wait({ block: true, timeout: 10_000 });
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(await barrier.wait({ block: false })).toBe(true);
  expect(await first).toBe(true);
});

it("a WindowRateLimiter with a hash-tagged key admits `limit` per window", async () => {
  const limiter = new WindowRateLimiter(backend, `{${freshKey("window")}}`, { limit: 3, window: 2 });
  const results: boolean[] = [];
  for (let i = 0; i < 5; i++) results.push(await limiter.tryAcquire((acquired) => acquired));
  expect(results).toEqual([true, true, true, false, false]);
});

it("a WindowRateLimiter without a hash tag fails with ConfigurationError naming the fix, not a raw CROSSSLOT", async () => {
  const limiter = new WindowRateLimiter(backend, freshKey("window"), { limit: 3, window: 5 });
  const error = await limiter.acquire(() => true).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(error).toBeInstanceOf(ConfigurationError);
  expect(error!.message).toMatch(/CROSSSLOT.*on a Redis Cluster a WindowRateLimiter's keys must share a slot: give the limiter's key a hash tag, e\.g\. "\{partner-api\}"/);
});
