/** What the backends leave on the servers: Dramatiq's keys, value formats and TTLs. */
import { ConfigurationError, ArgumentError } from "@q/core";
import Redis from "ioredis";
import { MEMCACHED_SERVERS, requireMemcached } from "@q/test-support/memcached";
import { REDIS_URL, requireRedis } from "@q/test-support/redis";
import { Barrier, ConcurrentRateLimiter } from "../src";
import { MemcachedRateLimiterBackend } from "../src/memcached";
import { RedisRateLimiterBackend } from "../src/redis";
import { freshKey } from "./backends";

describe("RedisRateLimiterBackend on the wire", () => {
  let admin: Redis;
  let backend: RedisRateLimiterBackend;
  beforeAll(async () => {
    await requireRedis();
    admin = new Redis(REDIS_URL);
  });
  afterAll(() => admin.quit());
  beforeEach(() => (backend = new RedisRateLimiterBackend({ url: REDIS_URL })));
  afterEach(() => backend.close());

  test("a concurrent limiter's counter is a decimal string at the verbatim key, with its TTL in ms", async () => {
    const key = freshKey("wire");
    const limiter = new ConcurrentRateLimiter(backend, key, { limit: 3, ttl: 60_000 });
    await limiter.acquireSlot();
    await limiter.acquireSlot();
    expect(await admin.type(key)).toBe("string");
    expect(await admin.get(key)).toBe("2");
    const pttl = await admin.pttl(key);
    expect(pttl).toBeGreaterThan(59_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
    await admin.set(key, "1000000000000000", "PX", 60_000);
    expect(await backend.incr(key, 1, 2e15, 60_000)).toBe(true);
    expect(await admin.get(key)).toBe("1000000000000001"); // integral, never 1e+15
  });

  test("a cleared barrier leaves Dramatiq's keys: the count at 1 and <key>@events = [\"x\"], both with the TTL", async () => {
    const key = freshKey("barrier");
    const barrier = new Barrier(backend, key, { ttl: 600_000 });
    await barrier.create(2);
    expect(await admin.get(key)).toBe("2");
    await barrier.wait({ block: false });
    await barrier.wait({ block: false });
    expect(await admin.get(key)).toBe("1");
    expect(await admin.lrange(`${key}@events`, 0, -1)).toEqual(["x"]);
    expect(await admin.pttl(`${key}@events`)).toBeGreaterThan(599_000);
  });

  test("a blocking wait uses its own connection: other commands go on meanwhile", async () => {
    const key = freshKey("blocking");
    // Were the wait on the shared connection, the add would queue behind it until it timed out.
    let waitSettled = false;
    const waiting = backend.wait(key, 20_000).finally(() => (waitSettled = true));
    expect(await backend.add(freshKey("other"), 1, 1_000)).toBe(true);
    expect(waitSettled).toBe(false);
    await backend.waitNotify(key, 1_000);
    expect(await waiting).toBe(true);
  });

  test.each(["http://127.0.0.1:6379", "redis:/nohost", "not a url", "redis://127.0.0.1/abc"])("the URL %p is a ConfigurationError", (url) => {
    expect(() => new RedisRateLimiterBackend({ url })).toThrow(ConfigurationError);
  });

  test("a given client is used and left open by close()", async () => {
    const client = new Redis(REDIS_URL);
    const mine = new RedisRateLimiterBackend({ client });
    expect(await mine.add(freshKey("client"), 1, 1_000)).toBe(true);
    await mine.close();
    expect(await client.ping()).toBe("PONG");
    await client.quit();
  });
});

describe("MemcachedRateLimiterBackend on the wire", () => {
  let backend: MemcachedRateLimiterBackend;
  beforeAll(() => requireMemcached());
  beforeEach(() => (backend = new MemcachedRateLimiterBackend({ servers: MEMCACHED_SERVERS })));
  afterEach(() => backend.close());

  /** The raw value and flags, through memjs's own get. */
  async function raw(key: string): Promise<{ value: string; flags: number } | null> {
    const { value, flags } = await (backend.client as unknown as { get(k: string): Promise<{ value: Buffer | null; flags: Buffer | null }> }).get(key);
    return value ? { value: value.toString(), flags: flags!.readUInt32BE(0) } : null;
  }

  test("counters are ASCII digits with pylibmc's integer flag (4), after add and after each change", async () => {
    const key = freshKey("flags");
    const limiter = new ConcurrentRateLimiter(backend, key, { limit: 5 });
    await limiter.acquireSlot();
    expect(await raw(key)).toEqual({ value: "1", flags: 4 });
    await limiter.acquireSlot();
    expect(await raw(key)).toEqual({ value: "2", flags: 4 });
    await limiter.releaseSlot();
    expect(await raw(key)).toEqual({ value: "1", flags: 4 });
  });

  test("a counter memcached itself decremented (as pylibmc does) reads back: \"10\" becomes \"9 \", which is 9", async () => {
    const key = freshKey("padded");
    await backend.add(key, 10, 60_000);
    const memjs = backend.client as unknown as { decrement(k: string, n: number, o: object): Promise<{ value: number }> };
    expect((await memjs.decrement(key, 1, {})).value).toBe(9);
    expect(await raw(key)).toEqual({ value: "9 ", flags: 4 });
    expect(await backend.incr(key, 1, 10, 60_000)).toBe(true);
    expect(await backend.incr(key, 1, 10, 60_000)).toBe(false);
    expect(await raw(key)).toEqual({ value: "10", flags: 4 });
  });

  test("a key memcached cannot store is an ArgumentError", async () => {
    await expect(backend.add("has space", 1, 1_000)).rejects.toBeInstanceOf(ArgumentError);
    await expect(backend.add("k".repeat(251), 1, 1_000)).rejects.toBeInstanceOf(ArgumentError);
  });

  test("a malformed servers string is a ConfigurationError", () => {
    expect(() => new MemcachedRateLimiterBackend({ servers: "a, b" })).toThrow(ConfigurationError);
  });
});
