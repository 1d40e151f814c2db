/**
 * RedisResultBackend through Redis Sentinel: the option is checked up front, and after the
 * primary is killed the backend (stores, reads and blocking reads) carries on on the promoted
 * replica by itself.
 */
import { ArgumentError, ConfigurationError } from "@q/core";
import { RedisSentinelSet } from "@q/test-support/redis-sentinel";
import { waitFor } from "@q/test-support";
import { RedisResultBackend } from "../src/redis";

jest.setTimeout(40_000);

test("bad sentinel settings: ConfigurationError (ArgumentError with url too)", () => {
  expect(() => new RedisResultBackend({ sentinel: { sentinels: [], name: "m" } })).toThrow(ConfigurationError);
  expect(() => new RedisResultBackend({ sentinel: { sentinels: [{ host: "h", port: 26379 }], name: "" } })).toThrow(/name .* must be a non-empty string/);
  expect(() => new RedisResultBackend({ url: "redis://127.0.0.1", sentinel: { sentinels: [{ host: "h", port: 26379 }], name: "m" } })).toThrow(ArgumentError);
});

test("kill -9 of the primary: stores and (blocking) reads go on on the promoted replica", async () => {
  const set = await RedisSentinelSet.start();
  const backend = new RedisResultBackend({ sentinel: { sentinels: [...set.sentinels], name: set.name } });
  try {
    const message = (id: string) => ({ queueName: "default", actorName: "add", messageId: id });
    await backend.storeResult(message("before"), 1, 60_000);
    await waitFor("the replica to have it", async () => {
      const replica = set.second.client();
      const n = await replica.dbsize();
      replica.disconnect();
      return n === 1;
    }, { timeout: 5000 });
    const killed = await set.killPrimary();
    await set.waitForFailover(killed);
    // Calls during the failover fail fast (ConnectionError); once promoted, they work again.
    await waitFor("a store to succeed on the new primary", () => backend.storeResult(message("after"), 2, 60_000).then(() => true, () => false), { timeout: 10_000 });
    expect(await backend.getResult(message("before"))).toBe(1);
    expect(await backend.getResult(message("after"), { block: true, timeout: 1000 })).toBe(2);
  } finally {
    await backend.close();
    await set.destroy();
  }
});
