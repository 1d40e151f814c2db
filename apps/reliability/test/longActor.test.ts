import { setTimeout as sleep } from "node:timers/promises";
import { RabbitServer } from "@q/test-support/rabbit-server";
import { RedisServer } from "@q/test-support/redis-server";
import { type QRun, killAllQ, waitReady } from "@q/test-support/q-process";
import { recordFigure } from "./support/figures";
import { killGroup } from "./support/chaosQ";
import { Ledger } from "./support/ledger";
import { StartLedger, enqueueRange, producerBroker, startTracked } from "./support/tracked";

// A message that runs longer than the broker's liveness timeouts, on a worker that stays alive.
const REDIS_HEARTBEAT_TIMEOUT = 2000;
/** RabbitMQ's consumer_timeout on the dedicated node (30 min by default; checked every second there). */
const CONSUMER_TIMEOUT = 4000;

let redis: RedisServer;
let rabbit: RabbitServer;
let ledger: Ledger;
let starts: StartLedger;
let q: QRun | undefined;
beforeAll(async () => {
  [redis, rabbit] = await Promise.all([RedisServer.start(), RabbitServer.start({ consumerTimeout: CONSUMER_TIMEOUT })]);
}, 90_000);
beforeEach(async () => {
  ledger = await Ledger.open();
  starts = new StartLedger(ledger.key);
});
afterEach(async () => {
  if (q) await killGroup(q);
  q = undefined;
  await starts.close();
  await ledger.close();
});
afterAll(async () => {
  await killAllQ();
  await Promise.all([redis?.destroy(), rabbit?.destroy()]);
}, 90_000);

async function runLong(broker: "redis" | "rabbitmq", url: string, queue: string, longMs: number, env: NodeJS.ProcessEnv = {}): Promise<QRun> {
  const namespace = broker === "redis" ? `long-${Date.now()}` : undefined;
  q = startTracked({ broker, url, namespace, queue, processes: 2, threads: 2, detached: true, env: { ...ledger.env, CHAOS_LONG_MS: String(longMs), ...env } });
  await waitReady(q, 2, 30_000);
  const producer = producerBroker(broker, url, namespace);
  try {
    await enqueueRange(producer, "chaos_long", queue, 1);
  } finally {
    await producer.close();
  }
  return q;
}

async function waitDone(n: number, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  while ((await ledger.length()) < n) {
    if (Date.now() > deadline) throw new Error(`The long message did not finish within ${timeout} ms.`);
    await sleep(100);
  }
}

test("a message running 3 × the heartbeat timeout on a live Redis worker runs exactly once", async () => {
  const longMs = 3 * REDIS_HEARTBEAT_TIMEOUT;
  const run = await runLong("redis", redis.url(), "long", longMs, { CHAOS_HEARTBEAT_TIMEOUT: String(REDIS_HEARTBEAT_TIMEOUT) });
  await waitDone(1, longMs + 15_000);
  // Past another heartbeat timeout and a few maintenance ticks: a wrongful recovery would have started it again by now.
  await sleep(REDIS_HEARTBEAT_TIMEOUT + 1000);
  const started = await starts.entries();
  recordFigure("redis.longActor", { heartbeatTimeoutMs: REDIS_HEARTBEAT_TIMEOUT, runMs: longMs, starts: started.length, runs: await ledger.length() });
  expect(started.length).toBe(1);
  expect(await ledger.summary(1)).toEqual({ processed: 1, missing: [], duplicates: 0, duplicated: [] });
  expect(run.matching(/Recovered \d+ message/)).toEqual([]);
});

test("a message running 3 × the AMQP heartbeat and under consumer_timeout on a live RabbitMQ worker runs exactly once", async () => {
  const longMs = CONSUMER_TIMEOUT - 1000;
  // heartbeat=1 s: the connection's liveness check, which a running actor must not trip.
  await runLong("rabbitmq", `${rabbit.url()}?heartbeat=1`, `long-${Date.now()}`, longMs);
  await waitDone(1, longMs + 15_000);
  await sleep(2000);
  const started = await starts.entries();
  recordFigure("rabbitmq.longActor", { amqpHeartbeatS: 1, consumerTimeoutMs: CONSUMER_TIMEOUT, runMs: longMs, starts: started.length, runs: await ledger.length() });
  expect(started.length).toBe(1);
  expect(await ledger.summary(1)).toEqual({ processed: 1, missing: [], duplicates: 0, duplicated: [] });
});

test("a message running longer than consumer_timeout on RabbitMQ is delivered again to the live worker and never acked", async () => {
  const longMs = 2 * CONSUMER_TIMEOUT;
  const queue = `long-over-${Date.now()}`;
  const run = await runLong("rabbitmq", rabbit.url(), queue, longMs);
  // The first run finishes (and fails to ack) while its redelivered copy is already running.
  await waitDone(1, 2 * longMs + 15_000);
  await sleep(500);
  const started = await starts.entries();
  const done = await ledger.entries();
  const ackFailures = run.matching(/Could not ack message .*\(not acked\)/);
  const channelClosed = run.matching(/delivery acknowledgement on channel \d+ timed out/);
  process.kill(-run.pid, "SIGKILL");
  await run.exited;
  q = undefined;
  const depth = await rabbit.ctl(["list_queues", "name", "messages", "--quiet", "--no-table-headers"]);
  const left = Number(depth.split("\n").find((l) => l.startsWith(`${queue}\t`))?.split("\t")[1]);
  recordFigure("rabbitmq.consumerTimeout", {
    consumerTimeoutMs: CONSUMER_TIMEOUT,
    runMs: longMs,
    starts: started.length,
    runs: done.length,
    ackFailures: ackFailures.length,
    channelClosedWarnings: channelClosed.length,
    secondStartAfterMs: started[1]!.at - started[0]!.at,
    secondRunSameProcess: started[1]!.pid === started[0]!.pid,
  });
  // Every run that finished is one whose ack was refused: the message is never acked...
  expect(done.length).toBeGreaterThanOrEqual(1);
  expect(ackFailures.length).toBe(done.length);
  expect(channelClosed.length).toBeGreaterThanOrEqual(done.length);
  // ...it ran again while its first run was still going, on the live worker's processes...
  expect(started.length).toBeGreaterThan(done.length);
  expect(started[1]!.at).toBeLessThan(done[0]!.at);
  // (its first start came a few ms after its delivery, from which consumer_timeout counts)
  expect(started[1]!.at - started[0]!.at).toBeGreaterThanOrEqual(CONSUMER_TIMEOUT - 250);
  // ...and is still in the queue once the worker is gone.
  expect(left).toBe(1);
}, 90_000);
