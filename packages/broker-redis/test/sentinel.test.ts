/**
 * Redis Sentinel: the `sentinel` and `durableEnqueue` options checked up front, a broker that
 * follows a failover by itself (commands, the worker's fetches and wake-ups, `broker.client`),
 * READONLY from a demoted primary handled as a reconnect (never a raw error), and durable
 * enqueue: `WAIT` confirms sends, and a send the replicas did not confirm (a WAIT cut off by
 * the primary's death, or too few replicas) rejects with EnqueueNotReplicated.
 */
import { setTimeout as sleep } from "node:timers/promises";
import Redis from "ioredis";
import { ConfigurationError, ConnectionClosed, ConnectionFailed, actor } from "@q/core";
import { RedisSentinelSet } from "@q/test-support/redis-sentinel";
import { RedisServer } from "@q/test-support/redis-server";
import { LEVEL, captureLogger, waitFor } from "@q/test-support";
import { freshNamespace } from "@q/test-support/redis";
import { EnqueueNotReplicated, RedisBroker, type RedisBrokerOptions } from "../src";
import { useHarness } from "./harness";

jest.setTimeout(60_000);

const h = useHarness();
const sentinels = [{ host: "127.0.0.1", port: 26379 }];

/** A Sentinel set started before the describe block's tests and destroyed after them; call it inside a test. */
function useSentinelSet(options: Parameters<typeof RedisSentinelSet.start>[0] = {}): () => RedisSentinelSet {
  let set: RedisSentinelSet | undefined;
  beforeAll(async () => {
    set = await RedisSentinelSet.start(options);
  }, 40_000);
  afterAll(async () => {
    await set?.destroy();
  });
  return () => {
    if (!set) throw new Error("The Sentinel set is not started yet (use it inside a test).");
    return set;
  };
}

describe("options", () => {
  it.each<[string, RedisBrokerOptions, RegExp]>([
    ["url and sentinel", { url: "redis://127.0.0.1:6379", sentinel: { sentinels, name: "m" } }, /url or sentinel, not both/],
    ["no sentinels", { sentinel: { sentinels: [], name: "m" } }, /sentinels must be a non-empty array/],
    ["a bad port", { sentinel: { sentinels: [{ host: "h", port: 0 }], name: "m" } }, /sentinels\[0\]\.port must be a whole number in 1\.\.65535, got 0/],
    ["an empty host", { sentinel: { sentinels: [{ host: "", port: 26379 }], name: "m" } }, /sentinels\[0\]\.host must be a non-empty string/],
    ["no name", { sentinel: { sentinels } as never }, /name \(the master group's name in sentinel.conf\) must be a non-empty string/],
    ["an unknown field", { sentinel: { sentinels, name: "m", master: "x" } as never }, /unknown field "master"/],
    ["a password that is no string", { sentinel: { sentinels, name: "m", password: 123 as never } }, /password must be a string, got number/],
    ["a bad db", { sentinel: { sentinels, name: "m", db: -1 } }, /db must be a whole number >= 0, got -1/],
    ["durableEnqueue 0 replicas", { durableEnqueue: { replicas: 0 } }, /durableEnqueue.replicas must be a whole number >= 1, got 0/],
    ["durableEnqueue timeout 0 (WAIT's forever)", { durableEnqueue: { replicas: 1, timeout: 0 } }, /durableEnqueue.timeout must be a whole number of milliseconds >= 1, got 0/],
    ["durableEnqueue true", { durableEnqueue: true as never }, /durableEnqueue must be \{ replicas, timeout\? \}, got boolean/],
    ["sentinel and cluster", { sentinel: { sentinels, name: "m" }, cluster: { nodes: [{ host: "127.0.0.1", port: 7000 }] } }, /give sentinel or cluster, not both/],
    ["durableEnqueue on a Cluster", { cluster: { nodes: [{ host: "127.0.0.1", port: 7000 }] }, durableEnqueue: { replicas: 1 } }, /durableEnqueue is not available on a Redis Cluster/],
  ])("%s: ConfigurationError saying what is wrong", (_, options, message) => {
    let error: unknown;
    try {
      new RedisBroker({ ...options, redisOptions: { lazyConnect: true } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(message);
  });

  it("the error for a bad password field never shows the value", () => {
    expect(() => new RedisBroker({ sentinel: { sentinels, name: "m", sentinelPassword: { secret: "hunter2" } as never } })).toThrow(/sentinelPassword must be a string, got object\.$/);
  });
});

describe("READONLY (a primary turned into a replica under the broker)", () => {
  let a: RedisServer;
  let b: RedisServer;
  beforeAll(async () => {
    [a, b] = await Promise.all([RedisServer.start(), RedisServer.start({ args: ["--repl-diskless-sync-delay", "0"] })]);
  });
  afterAll(async () => {
    await Promise.all([a?.destroy(), b?.destroy()]);
  });

  it("is a reconnect and a resend, not an error: a send waits until the server is writable again and lands once", async () => {
    const capture = captureLogger("debug");
    const broker = h.broker({ url: a.url(), namespace: freshNamespace(), logger: capture.logger, operationTimeout: 10_000 });
    const job = actor(function ro_job() {}, { broker, queueName: "ro" });
    await waitFor("the broker to connect", () => broker.connected, { timeout: 5000 });
    const admin = a.client();
    // a turns into b's replica (b is empty, so a's copy ends up empty too) under the broker's connection.
    await admin.call("REPLICAOF", "127.0.0.1", String(b.port));
    await waitFor("a to be b's replica, in sync", async () => /master_link_status:up/.test(await admin.info("replication")), { timeout: 5000 });
    const sending = job.send();
    await sleep(700);
    await admin.call("REPLICAOF", "NO", "ONE");
    await sending;
    expect(await broker.queueDepth("ro")).toMatchObject({ pending: 1 });
    expect(capture.find(LEVEL.warn, /^Redis answered READONLY \(it is a replica now\); reconnecting and sending enqueue again\.$/)).toHaveLength(1);
    admin.disconnect();
  });

  it("still a replica after operationTimeout: ConnectionClosed naming READONLY, written: no", async () => {
    const broker = h.broker({ url: a.url(), namespace: freshNamespace(), operationTimeout: 1500 });
    const job = actor(function ro_job2() {}, { broker, queueName: "ro2" });
    await job.send();
    const admin = a.client();
    await admin.call("REPLICAOF", "127.0.0.1", String(b.port));
    try {
      await waitFor("a to be a replica", async () => /role:slave/.test(await admin.info("replication")), { timeout: 5000 });
      const started = Date.now();
      const error = await job.send().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionClosed);
      expect((error as ConnectionClosed).written).toBe("no");
      expect((error as Error).message).toMatch(/^Redis still answered READONLY after 1500 ms \(the server is a replica/);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await admin.call("REPLICAOF", "NO", "ONE");
      admin.disconnect();
    }
  });
});

describe("on a Sentinel set (primary, replica, 3 sentinels; replication held back 300 ms)", () => {
  const set = useSentinelSet({ replicationDelayMs: 300 });
  const sentinelBroker = (options: RedisBrokerOptions = {}) =>
    h.broker({ url: undefined, sentinel: { sentinels: [...set().sentinels], name: set().name }, redisOptions: { disconnectTimeout: 100 }, ...options });

  it("durable enqueue: a send resolves once the replica has it (WAIT), a batch costs one WAIT", async () => {
    const broker = sentinelBroker({ durableEnqueue: { replicas: 1, timeout: 2000 } });
    const job = actor(function durable_job() {}, { broker, queueName: "durable" });
    await job.send(); // connected
    const started = Date.now();
    await Promise.all(Array.from({ length: 50 }, () => job.send()));
    const ms = Date.now() - started;
    // Every send waited for the held-back replica, together: about one round trip, not 50.
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(3000);
    const replica = set().second.client();
    expect(await replica.llen(`${broker.namespace}:durable`)).toBe(51);
    replica.disconnect();
  });

  it("durable enqueue with more replicas than there are: EnqueueNotReplicated after the timeout; the message is on the primary", async () => {
    const broker = sentinelBroker({ durableEnqueue: { replicas: 2, timeout: 500 } });
    const job = actor(function durable_job2() {}, { broker, queueName: "durable2" });
    const error = await job.send().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnqueueNotReplicated);
    expect(error).toMatchObject({ code: "Q_ENQUEUE_NOT_REPLICATED", replicas: 1, required: 2 });
    expect((error as Error).message).toMatch(/^Enqueued message \S+ on durable2 on the Redis primary, but only 1 of the required 2 replica\(s\) confirmed it within 500 ms \(WAIT\): .* a failover may lose it; sending it again may run it twice\.$/);
    expect((error as EnqueueNotReplicated).messageIds).toHaveLength(1);
    expect(await broker.queueDepth("durable2")).toMatchObject({ pending: 1 });
  });

  it("kill -9 of the primary: the broker follows the promoted replica by itself (sends, a worker's fetches and wake-ups, broker.client); a WAIT cut off by the death rejects with EnqueueNotReplicated", async () => {
    const namespace = freshNamespace();
    const producer = sentinelBroker({ namespace, operationTimeout: 20_000 });
    const durable = sentinelBroker({ namespace, operationTimeout: 20_000, durableEnqueue: { replicas: 1, timeout: 5000 } });
    const consumer = sentinelBroker({ namespace, operationTimeout: 20_000 });
    const seen = new Map<number, number>();
    for (const broker of [producer, durable, consumer]) actor(function follow(n: number) {
      seen.set(n, (seen.get(n) ?? 0) + 1);
    }, { broker, queueName: "follow" });
    await h.worker(consumer, { concurrency: 4, timeout: 60_000 }); // no polling to speak of: wake-ups bring new messages
    await producer.getActor("follow").send(0);
    await waitFor("message 0 to run", () => seen.has(0), { timeout: 5000 });
    await producer.client.set(`${namespace}:mark`, "before");

    // A durable send whose WAIT is in flight (the replica is 300 ms behind) when the primary
    // dies; on a queue nobody consumes, to see afterwards what the failover kept.
    actor(function idle() {}, { broker: durable, queueName: "idle" });
    await durable.getActor("idle").send(); // confirmed: the replica has it
    const cutOff = durable.getActor("idle").send().catch((e: unknown) => e);
    await sleep(50);
    const killed = await set().killPrimary();
    const error = await cutOff;
    expect(error).toBeInstanceOf(EnqueueNotReplicated);
    expect(error).toMatchObject({ replicas: undefined, required: 1 });
    expect((error as Error).message).toMatch(/the connection to the primary closed before 1 replica\(s\) confirmed it/);

    // Sent while no primary is up: each waits and lands on the new primary.
    const during = [3, 4, 5].map((n) => producer.getActor("follow").send(n));
    const { promotedAfterMs } = await set().waitForFailover(killed);
    await Promise.all(during);
    const followedAfterMs = Date.now() - killed.at;
    await producer.getActor("follow").send(6);
    await waitFor("3..6 to run on the new primary", () => [3, 4, 5, 6].every((n) => seen.has(n)), { timeout: 10_000 });
    expect(await producer.client.get(`${namespace}:mark`)).toBe("before"); // the replica had it (written well before the kill)
    await producer.client.set(`${namespace}:mark`, "after");
    const primary = await set().primaryClient();
    expect(await primary.get(`${namespace}:mark`)).toBe("after");
    primary.disconnect();
    // The confirmed send survived the failover; the one cut off (not confirmed) was lost with the primary.
    expect(await producer.queueDepth("idle")).toMatchObject({ pending: 1 });
    expect([...seen.keys()].sort()).toEqual([0, 3, 4, 5, 6]);
    for (const [n, runs] of seen) expect([n, runs]).toEqual([n, 1]);

    // The new primary has no replica: a durable send says so instead of pretending.
    const alone = await durable.getActor("idle").send().catch((e: unknown) => e);
    expect(alone).toBeInstanceOf(EnqueueNotReplicated);
    expect(alone).toMatchObject({ replicas: 0, required: 1 });
    process.stderr.write(`[sentinel] promoted after ${promotedAfterMs} ms; sends waiting through it resolved ${followedAfterMs} ms after the kill\n`);
  });
});

describe("a manual failover (SENTINEL FAILOVER) under a steady stream of sends", () => {
  const set = useSentinelSet();

  it("without durable enqueue, sends the old primary took before its demotion are lost (measured); with it, every resolved send is on the new primary", async () => {
    const sentinel = { sentinels: [...set().sentinels], name: set().name };
    const namespace = freshNamespace();
    const plain = h.broker({ url: undefined, sentinel, namespace, redisOptions: { disconnectTimeout: 100 } });
    const durable = h.broker({ url: undefined, sentinel, namespace, redisOptions: { disconnectTimeout: 100 }, durableEnqueue: { replicas: 1, timeout: 500 } });
    actor(function mf(_i: number) {}, { broker: plain, queueName: "mf_plain" });
    actor(function mfd(_i: number) {}, { broker: durable, queueName: "mf_durable" });
    const before = await set().primaryAddress();
    const stream = async (broker: RedisBroker, name: string) => {
      const resolved: number[] = [];
      const rejected: unknown[] = [];
      for (let i = 0; i < 40; i++) {
        await broker.getActor(name).send(i).then(() => resolved.push(i), (e: unknown) => rejected.push(e));
        await sleep(100);
      }
      return { resolved, rejected };
    };
    const sending = Promise.all([stream(plain, "mf"), stream(durable, "mfd")]);
    await sleep(300);
    await withSentinelCall(set(), ["SENTINEL", "FAILOVER", set().name]);
    const [p, d] = await sending;
    await waitFor("the sentinels to name the new primary", async () => (await set().primaryAddress()).port !== before.port, { timeout: 10_000 });
    await set().waitForReplicas(1); // the old primary resynced from the new one
    const primary = await set().primaryClient();
    const present = async (queue: string) => {
      const payloads = await primary.hvals(`${namespace}:${queue}.msgs`);
      return new Set(payloads.map((text) => (JSON.parse(text) as { args: [number] }).args[0]));
    };
    const plainThere = await present("mf_plain");
    const durableThere = await present("mf_durable");
    primary.disconnect();
    const plainLost = p.resolved.filter((i) => !plainThere.has(i));
    expect(p.rejected).toEqual([]);
    expect(d.resolved.filter((i) => !durableThere.has(i))).toEqual([]);
    for (const e of d.rejected) expect(e).toBeInstanceOf(EnqueueNotReplicated);
    process.stderr.write(`[sentinel] SENTINEL FAILOVER: without durable enqueue ${plainLost.length} of ${p.resolved.length} resolved sends lost; with it ${d.resolved.length} resolved (0 lost), ${d.rejected.length} rejected\n`);
  });
});

describe("sentinels that name no primary", () => {
  const set = useSentinelSet();

  it("a master group name the sentinels do not know: ConnectionFailed within connectTimeout saying to check sentinel.name", async () => {
    const broker = h.broker({ url: undefined, sentinel: { sentinels: [...set().sentinels], name: "nosuch" }, connectTimeout: 1000 });
    const error = await actor(function nm_job() {}, { broker, queueName: "nm" }).send().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionFailed);
    expect((error as Error).message).toMatch(/^Could not connect to Redis within 1000 ms: No sentinel knows that master group \(ERR No such master with that name\): check sentinel.name/);
  });

  it("no sentinel reachable: ConnectionFailed within connectTimeout saying to check sentinel.sentinels", async () => {
    const broker = h.broker({ url: undefined, sentinel: { sentinels: [{ host: "127.0.0.1", port: 1 }], name: set().name }, connectTimeout: 1000 });
    const started = Date.now();
    const error = await actor(function nr_job() {}, { broker, queueName: "nr" }).send().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionFailed);
    expect((error as Error).message).toMatch(/^Could not connect to Redis within 1000 ms: No sentinel named a primary .*: check sentinel.sentinels \(hosts and ports\) and sentinelPassword\.$/);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

async function withSentinelCall(set: RedisSentinelSet, command: string[]): Promise<unknown> {
  const client = new Redis(set.sentinels[0]!);
  try {
    return await client.call(command[0]!, ...command.slice(1));
  } finally {
    client.disconnect();
  }
}
