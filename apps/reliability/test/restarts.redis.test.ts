/**
 * A Redis restart in the middle of a run (SIGKILL of the server, started again on the same
 * AOF, `appendfsync always`), twice, while a producer process enqueues and a real `q`
 * consumes: every message whose send resolved is processed, the producer and the workers
 * carry on by themselves (neither is restarted), and how long each was stuck is measured.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type Redis from "ioredis";
import { RedisServer } from "@q/test-support/redis-server";
import { killAllQ, READY, waitReady } from "@q/test-support/q-process";
import { freshNamespace } from "@q/test-support/redis";
import { startQ } from "./support/chaosQ";
import { Ledger } from "./support/ledger";
import { SCALE } from "./support/scale";
import { recordFigure } from "./support/figures";
import { account, errorLines, firstAfter, killProducers, redisLeftovers, startProducer, times, until } from "./support/servers";

let server: RedisServer;
let ledger: Ledger;
let admin: Redis | undefined;

beforeAll(async () => {
  server = await RedisServer.start();
  ledger = await Ledger.open();
});

afterAll(async () => {
  killProducers();
  await killAllQ();
  admin?.disconnect();
  await ledger?.close();
  await server?.destroy();
});

test("SIGKILL and restart of Redis twice mid-run: every message whose send resolved is processed, producer and q recover by themselves, the queue and ack sets end empty", async () => {
  const namespace = freshNamespace();
  const queue = "restarts";
  const q = startQ({ broker: "redis", url: server.url(), namespace, queue, processes: 2, threads: 8, env: ledger.env });
  await waitReady(q, 2);
  const producer = startProducer({ broker: "redis", url: server.url(), namespace, queue, count: SCALE.messages, env: ledger.env });

  const outages: { resolvedBefore: number; downMs: number; back: number }[] = [];
  for (const fraction of [1 / 3, 2 / 3]) {
    await until(`${Math.round(fraction * 100)}% of the sends to resolve`, () => producer.resolved.size >= SCALE.messages * fraction, 60_000);
    const resolvedBefore = producer.resolved.size;
    const down = Date.now();
    await server.stop("SIGKILL");
    await sleep(1000);
    await server.start();
    outages.push({ resolvedBefore, downMs: Date.now() - down, back: Date.now() });
  }

  await producer.done(90_000);
  await until("every resolved send to be processed", async () => account(await ledger.entries(), producer.resolved).lost.length === 0, 60_000);
  admin = server.client();
  await until("the queue and the ack sets to empty", async () => {
    const left = await redisLeftovers(admin!, namespace, queue);
    return left.listed + left.stored + left.inAckSets === 0;
  }, 30_000);

  const entries = await ledger.entries();
  const result = account(entries, producer.resolved);
  const stuck = outages.map(({ back }) => ({
    producerMs: firstAfter(producer.resolved.values(), back),
    consumerMs: firstAfter(times(entries), back),
  }));
  recordFigure("redis.restart", {
    messages: SCALE.messages,
    restarts: outages.length,
    outageMs: outages.map((o) => o.downMs),
    ...result,
    lost: result.lost.length,
    rejected: producer.rejected.length,
    rejectedKinds: [...new Set(producer.rejected.map((r) => `${r.error} written=${r.written}`))],
    stuckAfterBackMs: stuck,
    qErrorLines: errorLines(q).length,
  });

  expect(result.lost).toEqual([]);
  // Mid-run: the producer was still sending at each restart.
  for (const o of outages) expect(o.resolvedBefore).toBeLessThan(SCALE.messages);
  // A send that did not resolve failed with a typed error, saying whether it was written.
  for (const r of producer.rejected) expect(r.error).not.toMatch(/^untyped/);
  // Both recovered by themselves: each handled messages after each restart, q never restarted a worker.
  for (const s of stuck) {
    expect(s.producerMs).toBeDefined();
    expect(s.consumerMs).toBeDefined();
  }
  expect(q.proc.exitCode).toBeNull();
  expect(q.matching(READY)).toHaveLength(2);
  expect(await redisLeftovers(admin, namespace, queue)).toEqual({ listed: 0, stored: 0, inAckSets: 0, dead: 0 });
  expect(errorLines(q)).toEqual([]);
}, 200_000);
