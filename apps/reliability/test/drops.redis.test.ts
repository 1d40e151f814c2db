/**
 * Server-side connection drops on Redis (`CLIENT KILL`) of each connection the broker uses,
 * found by name in `CLIENT LIST` (`q-<pid>:commands`: every call, sends, fetches, acks and
 * heartbeats, which share one connection; `q-<pid>:wakeups`: the Pub/Sub subscriber), in the
 * producer process and in `q`'s worker processes, while the one enqueues and the other
 * consumes: nothing lost, nothing left in any ack set, the queue drained, no ERROR line from
 * `q`, and every send resolved or failed with a typed QError.
 */
import type Redis from "ioredis";
import { RedisServer } from "@q/test-support/redis-server";
import { killAllQ, READY, waitReady } from "@q/test-support/q-process";
import { freshNamespace } from "@q/test-support/redis";
import { startQ } from "./support/chaosQ";
import { Ledger } from "./support/ledger";
import { SCALE } from "./support/scale";
import { recordFigure } from "./support/figures";
import { account, errorLines, killProducers, redisLeftovers, startProducer, until } from "./support/servers";

let server: RedisServer;
let ledger: Ledger;
let admin: Redis;

beforeAll(async () => {
  server = await RedisServer.start();
  ledger = await Ledger.open();
  admin = server.client();
});

afterAll(async () => {
  killProducers();
  await killAllQ();
  admin?.disconnect();
  await ledger?.close();
  await server?.destroy();
});

interface Client {
  id: string;
  name: string;
  pid: number;
  role: string;
}

async function clients(): Promise<Client[]> {
  const list = (await admin.call("CLIENT", "LIST")) as string;
  return list.split("\n").flatMap((line) => {
    const id = /(?:^| )id=(\d+)/.exec(line)?.[1];
    const name = /(?:^| )name=(\S*)/.exec(line)?.[1] ?? "";
    const m = /^q-(\d+):(\w+)$/.exec(name);
    return id && m ? [{ id, name, pid: Number(m[1]), role: m[2]! }] : [];
  });
}

test("CLIENT KILL of each connection type of the producer and of q's workers mid-run: nothing lost, ack sets empty, queue drained, no ERROR line, every send settled", async () => {
  const namespace = freshNamespace();
  const queue = "drops";
  const q = startQ({ broker: "redis", url: server.url(), namespace, queue, processes: 2, threads: 8, env: ledger.env });
  await waitReady(q, 2);
  const producer = startProducer({ broker: "redis", url: server.url(), namespace, queue, count: SCALE.messages, pauseMs: 15, env: ledger.env });
  const producerPid = producer.proc.pid!;
  await until("the producer's connection", async () => (await clients()).some((c) => c.pid === producerPid), 15_000);
  const seen = await clients();
  const roles = [...new Set(seen.map((c) => `${c.pid === producerPid ? "producer" : "worker"}:${c.role}`))].sort();

  const drops = [
    { what: "worker:commands", pick: (c: Client) => c.pid !== producerPid && c.role === "commands" },
    { what: "producer:commands", pick: (c: Client) => c.pid === producerPid && c.role === "commands" },
    { what: "worker:wakeups", pick: (c: Client) => c.pid !== producerPid && c.role === "wakeups" },
    { what: "all", pick: () => true },
  ];
  const killed: Record<string, { connections: number; backMs: number }> = {};
  for (const [n, drop] of drops.entries()) {
    await until(`${n + 1}/${drops.length + 1} of the run`, () => producer.resolved.size >= (SCALE.messages * (n + 1)) / (drops.length + 1), 60_000);
    const targets = (await clients()).filter(drop.pick);
    const at = Date.now();
    for (const c of targets) await admin.call("CLIENT", "KILL", "ID", c.id);
    // Back: a connection of the same name (a new id) for each one killed.
    await until(`${drop.what} to reconnect`, async () => {
      const now = await clients();
      return targets.every((t) => now.some((c) => c.name === t.name && c.id !== t.id));
    }, 30_000);
    killed[drop.what] = { connections: targets.length, backMs: Date.now() - at };
  }

  await producer.done(90_000);
  await until("every resolved send to be processed", async () => account(await ledger.entries(), producer.resolved).lost.length === 0, 60_000);
  await until("the queue and the ack sets to empty", async () => {
    const left = await redisLeftovers(admin, namespace, queue);
    return left.listed + left.stored + left.inAckSets === 0;
  }, 30_000);
  const result = account(await ledger.entries(), producer.resolved);
  recordFigure("redis.drops", {
    messages: SCALE.messages,
    connectionTypes: roles,
    killed,
    ...result,
    lost: result.lost.length,
    rejected: producer.rejected.length,
    qWarnings: q.matching(/\[WARNING\]/).length,
    qErrorLines: errorLines(q).length,
  });

  // Each role the broker uses was there and was killed: one command connection and one
  // wake-up subscriber per worker process, one command connection in the producer.
  expect(roles).toEqual(["producer:commands", "worker:commands", "worker:wakeups"]);
  expect(killed["worker:commands"]!.connections).toBe(2);
  expect(killed["worker:wakeups"]!.connections).toBe(2);
  expect(killed["producer:commands"]!.connections).toBe(1);
  expect(result.lost).toEqual([]);
  expect(producer.rejected.filter((r) => r.error.startsWith("untyped"))).toEqual([]);
  expect(result.resolved + producer.rejected.length).toBe(SCALE.messages);
  expect(await redisLeftovers(admin, namespace, queue)).toEqual({ listed: 0, stored: 0, inAckSets: 0, dead: 0 });
  // The killed subscribers subscribed again: idle workers still wake at once on a send.
  const [, subscribers] = (await admin.call("PUBSUB", "NUMSUB", `${namespace}:__wakeup__.${queue}`)) as [string, number];
  expect(Number(subscribers)).toBe(2);
  expect(q.proc.exitCode).toBeNull();
  expect(q.matching(READY)).toHaveLength(2);
  expect(errorLines(q)).toEqual([]);
}, 200_000);
