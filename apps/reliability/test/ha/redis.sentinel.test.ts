/**
 * Redis Sentinel failover mid-run: a primary, two replicas (replicating through a proxy that
 * holds the stream back REPLICATION_DELAY_MS, as replicas on other hosts lag) and three
 * sentinels; real `q` workers and a producer process find the primary through the sentinels.
 * The primary is SIGKILLed halfway; the sentinels promote the replica and both processes
 * follow it by themselves (neither is restarted).
 *
 * (a) Without durable enqueue, sends the primary acknowledged in its last moment, not yet
 *     replicated, are lost with it: counted and reported; every other resolved send runs.
 * (b) With durableEnqueue (WAIT for 1 replica), no resolved send is lost; sends the replica
 *     did not confirm reject (EnqueueNotReplicated) instead of resolving.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type Redis from "ioredis";
import { RedisSentinelSet } from "@q/test-support/redis-sentinel";
import { killAllQ, READY, waitReady } from "@q/test-support/q-process";
import { freshNamespace } from "@q/test-support/redis";
import { startQ } from "../support/chaosQ";
import { Ledger } from "../support/ledger";
import { SCALE } from "../support/scale";
import { recordFigure } from "../support/figures";
import { account, errorLines, firstAfter, killProducers, redisLeftovers, startProducer, times, until } from "../support/servers";

/** How far the replica lags: a replica on another host, busy, or across a slow link. */
const REPLICATION_DELAY_MS = 100;
/** Each message takes this long, so the workers keep a backlog (as a loaded system does). */
const WORK_MS = "20";

let ledger: Ledger | undefined;
let set: RedisSentinelSet | undefined;
let admin: Redis | undefined;

afterEach(async () => {
  killProducers();
  await killAllQ();
  admin?.disconnect();
  admin = undefined;
  await set?.destroy();
  set = undefined;
  await ledger?.close();
  ledger = undefined;
});

/** The longest gap (ms) between successive times from `since` on, counting from `since`; undefined when none follows. */
function longestGap(all: Iterable<number>, since: number): number | undefined {
  const sorted = [...all].filter((t) => t >= since).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  let gap = sorted[0]! - since;
  for (let i = 1; i < sorted.length; i++) gap = Math.max(gap, sorted[i]! - sorted[i - 1]!);
  return gap;
}

async function failoverRun(durable: boolean) {
  // Two replicas: after the failover the new primary still has one to confirm durable sends.
  set = await RedisSentinelSet.start({ replicationDelayMs: REPLICATION_DELAY_MS, replicas: 2 });
  ledger = await Ledger.open(); // each run counts its own runs
  const namespace = freshNamespace();
  const queue = durable ? "sentinel_durable" : "sentinel_async";
  const env = {
    ...ledger.env,
    CHAOS_SENTINELS: JSON.stringify(set.sentinels),
    CHAOS_SENTINEL_NAME: set.name,
    CHAOS_WORK_MS: WORK_MS,
    ...(durable ? { CHAOS_DURABLE_REPLICAS: "1", CHAOS_DURABLE_TIMEOUT: "1000" } : {}),
  };
  const q = startQ({ broker: "redis", url: "", namespace, queue, processes: 2, threads: 8, env });
  await waitReady(q, 2);
  const producer = startProducer({ broker: "redis", url: "", namespace, queue, count: SCALE.messages, window: durable ? 50 : 20, env });

  await until("half of the sends to resolve", () => producer.resolved.size >= SCALE.messages / 2, 120_000);
  const resolvedBefore = producer.resolved.size;
  const killed = await set.killPrimary();
  const { promotedAfterMs } = await set.waitForFailover(killed);
  // The other replica follows the new primary: durable sends are confirmed again.
  await set.waitForReplicas(1);
  const replicaBackAfterMs = Date.now() - killed.at;

  await producer.done(180_000);
  admin = await set.primaryClient();
  await until("the queue and the ack sets to empty", async () => {
    const left = await redisLeftovers(admin!, namespace, queue);
    return left.listed + left.stored + left.inAckSets === 0;
  }, 60_000);
  await sleep(500); // the last runs' ledger entries
  const entries = await ledger.entries();
  const result = account(entries, producer.resolved);
  const lostAcknowledgedAt = result.lost.map((i) => killed.at - producer.resolved.get(i)!);
  const figure = {
    messages: SCALE.messages,
    replicationDelayMs: REPLICATION_DELAY_MS,
    replicas: 2,
    durableEnqueue: durable ? { replicas: 1, timeout: 1000 } : null,
    resolvedBeforeKill: resolvedBefore,
    ...result,
    lost: result.lost.length,
    lostAcknowledgedMsBeforeKill: result.lost.length ? { min: Math.min(...lostAcknowledgedAt), max: Math.max(...lostAcknowledgedAt) } : null,
    rejected: producer.rejected.length,
    rejectedKinds: [...new Set(producer.rejected.map((r) => `${r.error} written=${r.written}`))],
    promotedAfterMs,
    replicaBackAfterMs,
    // The longest pause between two resolved sends / two runs from the kill on: how long each side was stuck.
    producerStuckMs: longestGap(producer.resolved.values(), killed.at),
    consumerStuckMs: longestGap(times(entries), killed.at),
    firstResolvedAfterKillMs: firstAfter(producer.resolved.values(), killed.at),
    firstRunAfterKillMs: firstAfter(times(entries), killed.at),
    qErrorLines: errorLines(q).length,
  };
  recordFigure(`ha.redis.sentinel.${durable ? "durable" : "async"}`, figure);
  return { q, producer, result, figure, killed, resolvedBefore };
}

test("(a) kill -9 of the primary, asynchronous replication: only sends acknowledged in the replication window before the kill are lost (counted); every other resolved send runs, duplicates bounded; q and the producer follow the promoted replica by themselves", async () => {
  const { q, producer, result, figure, resolvedBefore } = await failoverRun(false);
  // Mid-run, and both carried on by themselves after the failover.
  expect(resolvedBefore).toBeLessThan(SCALE.messages);
  expect(figure.producerStuckMs).toBeDefined();
  expect(figure.consumerStuckMs).toBeDefined();
  // What was lost had been acknowledged just before the kill: within the replication delay
  // (plus the time a write waits in the primary's buffers and the kill itself takes).
  expect(figure.lostAcknowledgedMsBeforeKill?.max ?? 0).toBeLessThan(REPLICATION_DELAY_MS + 1000);
  // Redeliveries: runs whose fetch or ack the replica never saw; bounded by what was in flight.
  expect(result.duplicates).toBeLessThanOrEqual(2 * 8 + 2 * 8 * 10 + result.lost.length + 200);
  for (const r of producer.rejected) expect(r.error).not.toMatch(/^untyped/);
  expect(q.proc.exitCode).toBeNull();
  expect(q.matching(READY)).toHaveLength(2);
  expect(errorLines(q)).toEqual([]);
}, 240_000);

test("(b) kill -9 of the primary with durableEnqueue (WAIT 1 replica): no resolved send is lost; unconfirmed ones reject with EnqueueNotReplicated; q and the producer follow by themselves", async () => {
  const { q, producer, result, figure, resolvedBefore } = await failoverRun(true);
  expect(result.lost).toEqual([]);
  expect(resolvedBefore).toBeLessThan(SCALE.messages);
  expect(figure.producerStuckMs).toBeDefined();
  expect(figure.consumerStuckMs).toBeDefined();
  // Sends resolved after the replica came back: the producer was not restarted.
  expect(producer.resolved.size + producer.rejected.length).toBe(SCALE.messages);
  for (const r of producer.rejected) expect(r.error).toMatch(/^(EnqueueNotReplicated|ConnectionClosed)$/);
  expect(q.proc.exitCode).toBeNull();
  expect(q.matching(READY)).toHaveLength(2);
  expect(errorLines(q)).toEqual([]);
}, 240_000);
