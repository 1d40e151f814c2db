/**
 * RedisRateLimiterBackend through Redis Sentinel: the option is checked up front, and after
 * the primary is killed the backend carries on on the promoted replica by itself.
 */
import { ConfigurationError } from "@q/core";
import { RedisSentinelSet } from "@q/test-support/redis-sentinel";
import { waitFor } from "@q/test-support";
import { RedisRateLimiterBackend } from "../src/redis";

jest.setTimeout(40_000);

test("bad sentinel settings, or sentinel with url: ConfigurationError", () => {
  expect(() => new RedisRateLimiterBackend({ sentinel: { sentinels: [{ host: "h", port: 70000 }], name: "m" } })).toThrow(/sentinels\[0\]\.port must be a whole number in 1\.\.65535/);
  expect(() => new RedisRateLimiterBackend({ url: "redis://127.0.0.1", sentinel: { sentinels: [{ host: "h", port: 26379 }], name: "m" } })).toThrow(ConfigurationError);
});

test("kill -9 of the primary: counters go on on the promoted replica", async () => {
  const set = await RedisSentinelSet.start();
  const backend = new RedisRateLimiterBackend({ sentinel: { sentinels: [...set.sentinels], name: set.name } });
  try {
    expect(await backend.add("mutex", 1, 60_000)).toBe(true);
    await waitFor("the replica to have it", async () => {
      const replica = set.second.client();
      const n = await replica.dbsize();
      replica.disconnect();
      return n === 1;
    }, { timeout: 5000 });
    const killed = await set.killPrimary();
    await set.waitForFailover(killed);
    await waitFor("a call to succeed on the new primary", () => backend.incr("counter", 1, 10, 60_000).then(() => true, () => false), { timeout: 10_000 });
    // The key written before the failover is still held on the new primary.
    expect(await backend.add("mutex", 1, 60_000)).toBe(false);
  } finally {
    await backend.close();
    await set.destroy();
  }
});
