/**
 * Connection options of RedisBroker, on a dedicated password-protected redis-server:
 * `url` with password and db, an existing ioredis `client`, and `namespace`.
 */
import { actor, ConnectionFailed } from "@q/core";
import Redis from "ioredis";
import type { RedisBroker, RedisBrokerOptions } from "../src";
import { useHarness } from "./harness";
import { RedisServer } from "@q/test-support/redis-server";
import { waitFor } from "@q/test-support";
import { freshNamespace } from "@q/test-support/redis";

jest.setTimeout(15_000);

const PASSWORD = "s3cret-pw";
const h = useHarness();
let server: RedisServer;

beforeAll(async () => {
  server = await RedisServer.start({ password: PASSWORD });
});

afterAll(async () => {
  await server?.destroy();
});

function serverBroker(options: RedisBrokerOptions): RedisBroker {
  return h.broker({ redisOptions: { disconnectTimeout: 100 }, ...options });
}

async function withClient<T>(db: number, fn: (client: Redis) => Promise<T>): Promise<T> {
  const client = server.client(db);
  try {
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

describe("RedisBroker options", () => {
  it("url with a password and a db: messages go to that db, and a worker on the same url runs them", async () => {
    const namespace = freshNamespace();
    const broker = serverBroker({ url: server.url({ db: 5 }), namespace });
    const ran: number[] = [];
    const job = actor(function job(n: number) {
      ran.push(n);
    }, { broker, queueName: "opt" });

    const sent = await job.send(1);
    await withClient(5, async (db5) => {
      expect(await db5.lrange(`${namespace}:opt`, 0, -1)).toEqual([sent.options.redis_message_id]);
    });
    await withClient(0, async (db0) => {
      expect(await db0.keys(`${namespace}:*`)).toEqual([]);
    });

    await h.worker(broker);
    await waitFor("the message to run", () => ran.length === 1);
    await broker.join("opt", { timeout: 5000 });
    expect(ran).toEqual([1]);
  });

  it("a wrong password fails a send with ConnectionFailed carrying the server's error, instead of hanging", async () => {
    const broker = serverBroker({ url: server.url({ password: "wrong" }), operationTimeout: 2000 });
    const job = actor(function job() {}, { broker, queueName: "opt" });
    const started = Date.now();
    const failure = job.send();
    await expect(failure).rejects.toBeInstanceOf(ConnectionFailed);
    await expect(failure).rejects.toThrow(/WRONGPASS|NOAUTH|invalid password/i);
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it("an existing ioredis client is used as given and left open by close()", async () => {
    const client = new Redis(server.url({ db: 2 }), { disconnectTimeout: 100 });
    try {
      const namespace = freshNamespace();
      const broker = serverBroker({ client, namespace });
      const ran: number[] = [];
      const job = actor(function job(n: number) {
        ran.push(n);
      }, { broker, queueName: "opt" });
      const worker = await h.worker(broker);
      await job.send(7);
      await waitFor("the message to run", () => ran.length === 1);
      await broker.join("opt", { timeout: 5000 });

      expect(await client.zscore(`${namespace}:__heartbeats__`, broker.brokerId)).not.toBeNull();
      await worker.stop({ timeout: 1000 });
      await broker.close();
      expect(client.status).toBe("ready");
      expect(await client.ping()).toBe("PONG");
    } finally {
      client.disconnect();
    }
  });

  it("keys live under the given namespace, and under `dramatiq` by default", async () => {
    const custom = serverBroker({ url: server.url({ db: 3 }), namespace: "custom-ns" });
    const byDefault = serverBroker({ url: server.url({ db: 3 }), namespace: undefined });
    expect(byDefault.namespace).toBe("dramatiq");
    const a = actor(function a() {}, { broker: custom, queueName: "opt" });
    const b = actor(function b() {}, { broker: byDefault, queueName: "opt" });
    await a.send();
    await b.send();

    await withClient(3, async (db3) => {
      expect((await db3.keys("*")).sort()).toEqual(
        ["custom-ns:opt", "custom-ns:opt.msgs", "custom-ns:__heartbeats__", "dramatiq:opt", "dramatiq:opt.msgs", "dramatiq:__heartbeats__"].sort(),
      );
      expect(await db3.zrange("custom-ns:__heartbeats__", "0", "-1")).toEqual([custom.brokerId]);
      expect(await db3.zrange("dramatiq:__heartbeats__", "0", "-1")).toEqual([byDefault.brokerId]);
      await db3.flushdb();
    });
  });
});
