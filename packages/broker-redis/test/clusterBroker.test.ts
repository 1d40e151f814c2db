/**
 * What the conformance kit does not show on a Redis Cluster: wake-ups reach an idle worker
 * at once whichever node its subscriber is on (Cluster forwards PUBLISH to every node), the
 * connections carry their CLIENT SETNAME names on the nodes, a dead worker's in-flight
 * messages are recovered (heartbeats, ack sets and the recovery script on the slot's node),
 * and the namespace's slot can be moved to another primary under a running worker and producer.
 */
import { randomUUID } from "node:crypto";
import { CurrentMessage, Message, Worker, actor, defaultMiddleware } from "@q/core";
import type { Cluster } from "ioredis";
import { RedisBroker, type RedisBrokerOptions } from "../src";
import { silentLogger, waitFor } from "@q/test-support";
import { freshNamespace } from "@q/test-support/redis";
import { RedisClusterServer } from "@q/test-support/redis-cluster";
import { keysOf, pythonBytes } from "./harness";

jest.setTimeout(30_000);

let cluster: RedisClusterServer;
const brokers: RedisBroker[] = [];
const workers: Worker[] = [];

beforeAll(async () => {
  cluster = await RedisClusterServer.start();
}, 60_000);

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop({ timeout: 1000 })));
  await Promise.all(brokers.splice(0).map((b) => b.close()));
});

afterAll(async () => {
  await cluster?.destroy();
});

function broker(options: RedisBrokerOptions = {}): RedisBroker {
  const b = new RedisBroker({
    cluster: { nodes: cluster.startupNodes },
    namespace: `{${freshNamespace()}}`,
    logger: silentLogger(),
    middleware: [...defaultMiddleware(), new CurrentMessage()],
    ...options,
  });
  brokers.push(b);
  return b;
}

async function start(b: RedisBroker, timeout: number): Promise<Worker> {
  const worker = new Worker(b, { timeout });
  workers.push(worker);
  await worker.start();
  await worker.whenConnected();
  return worker;
}

test("an idle worker polling every 10 s starts a message sent by another broker at once (wake-ups across nodes)", async () => {
  const consumer = broker();
  const producer = broker({ namespace: consumer.namespace });
  const ran: number[] = [];
  actor(() => void ran.push(Date.now()), { broker: consumer, actorName: "wake", queueName: "wake" });
  const send = actor(() => undefined, { broker: producer, actorName: "wake", queueName: "wake" });
  await start(consumer, 10_000);
  await new Promise((resolve) => setTimeout(resolve, 300)); // its first empty fetch is done, it waits
  const latencies: number[] = [];
  for (let i = 0; i < 3; i++) {
    const sent = Date.now();
    await send.send();
    await waitFor("the message to run", () => ran.length === i + 1, { timeout: 5000 });
    latencies.push(ran[i]! - sent);
  }
  // Without a wake-up each would wait for the 10 s poll.
  for (const ms of latencies) expect(ms).toBeLessThan(2000);
});

test("the connections are named <prefix>:commands, :wakeups and :client on the Cluster's nodes", async () => {
  const prefix = `cl-${Math.random().toString(36).slice(2, 8)}`;
  const b = broker({ redisOptions: { connectionName: prefix } });
  actor(() => undefined, { broker: b, actorName: "named", queueName: "names" });
  await start(b, 100);
  await (b.client as Cluster).get(`${b.namespace}:x`);
  const names = async () => {
    const all: string[] = [];
    for (const node of cluster.nodes) {
      const admin = node.server.client();
      const list = String(await admin.call("CLIENT", "LIST"));
      admin.disconnect();
      for (const line of list.split("\n")) {
        const name = /(?:^| )name=(\S*)/.exec(line)?.[1] ?? "";
        if (name.startsWith(`${prefix}:`)) all.push(name);
      }
    }
    return new Set(all);
  };
  await waitFor("the three roles' connections", async () => (await names()).size === 3);
  expect([...(await names())].sort()).toEqual([`${prefix}:client`, `${prefix}:commands`, `${prefix}:wakeups`]);
});

test("a dead worker's in-flight message is recovered and run by a live one", async () => {
  const b = broker({ heartbeatTimeout: 1000 });
  const k = keysOf(b.namespace, "recover");
  const ran: string[] = [];
  actor(() => void ran.push(CurrentMessage.getCurrentMessage()!.messageId), { broker: b, actorName: "recovered", queueName: "recover" });
  // As a worker that died holding it: its heartbeat is old, the id in its ack set.
  const dead = randomUUID();
  const id = randomUUID();
  const { bytes, messageId } = pythonBytes({ queue: "recover", actor: "recovered", args: "[]", options: `{"redis_message_id":"${id}"}` });
  const client = b.client as Cluster;
  await client.zadd(k.heartbeats, Date.now() - 60_000, dead);
  await client.sadd(k.acks(dead), id);
  await client.hset(k.msgs, id, bytes);
  await start(b, 100);
  await waitFor("the recovered message to run", () => ran.length === 1, { timeout: 10_000 });
  expect(ran).toEqual([messageId]);
  await b.join("recover", { timeout: 5000 });
  expect(await client.exists(k.acks(dead), k.msgs, k.queue)).toBe(0);
});

test("after SCRIPT FLUSH on every node (as on a freshly promoted replica) calls still run: NOSCRIPT falls back to EVAL on the slot's node", async () => {
  const b = broker();
  b.declareQueue("flushed");
  expect(await b.dispatch("qsize", "flushed", [], "0")).toBe(0);
  for (const node of cluster.nodes) {
    const admin = node.server.client();
    await admin.script("FLUSH");
    admin.disconnect();
  }
  expect(await b.dispatch("enqueue", "flushed", ["id-1", "{}"])).toBe(1);
  expect(await b.dispatch("qsize", "flushed", [], "0")).toBe(1);
  await b.flush("flushed");
});

test("moving the namespace's slot to another primary mid-run (a reshard): every message runs exactly once", async () => {
  const consumer = broker();
  const producer = broker({ namespace: consumer.namespace });
  const counts = new Map<number, number>();
  actor((n: number) => void counts.set(n, (counts.get(n) ?? 0) + 1), { broker: consumer, actorName: "moved", queueName: "moved" });
  await start(consumer, 100);
  const total = 1000;
  const from = await cluster.ownerOf(consumer.namespace);
  const to = cluster.nodes.find((n) => n !== from)!;
  let moved: Promise<void> | undefined;
  for (let i = 0; i < total; i += 10) {
    await producer.enqueueMany(Array.from({ length: 10 }, (_, j) => new Message({ queueName: "moved", actorName: "moved", args: [i + j] })));
    if (i === 300) moved = cluster.moveSlot(consumer.namespace, to);
  }
  await moved;
  expect((await cluster.ownerOf(consumer.namespace)).port).toBe(to.port);
  await waitFor("every message to run", () => counts.size === total, { timeout: 20_000 });
  await consumer.join("moved", { timeout: 10_000 });
  expect([...counts.values()].filter((c) => c !== 1)).toEqual([]);
});
