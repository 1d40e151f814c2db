// The middleware under the real q binary with several worker processes (Redis): one port
// serves the sum of every process, and a worker killed with SIGKILL (restarted by the
// supervisor) or a reload neither sets the counters back nor counts anything twice.
import fs from "node:fs";
import { RedisBroker } from "@q/broker-redis";
import { Message } from "@q/core";
import { silentLogger, waitFor } from "@q/test-support";
import { REDIS_URL, deleteNamespace, freshNamespace, requireRedis } from "@q/test-support/redis";
import Redis from "ioredis";
import { type Scrape, scrape, value } from "./support/scrape";
import { eventsFile, freePort, killAllQ, runQ } from "./support/runQ";
import { expectWorkloadCounts } from "./support/workload";

jest.setTimeout(120_000);

let redis: Redis;
let namespace = "";
let producer: RedisBroker;
const queue = "promq";

beforeAll(async () => {
  await requireRedis();
  redis = new Redis(REDIS_URL);
});
beforeEach(() => {
  namespace = freshNamespace("qprom");
  producer = new RedisBroker({ url: REDIS_URL, namespace, logger: silentLogger() });
});
afterEach(async () => {
  killAllQ();
  await producer.close();
  await deleteNamespace(redis, namespace);
});
afterAll(async () => {
  await redis.quit();
});

/** The workload of support/workload.ts, sent by a producer. */
async function sendWorkload(extraOk = 0): Promise<void> {
  const send = (actorName: string, delay?: number) => producer.enqueue(new Message({ queueName: queue, actorName, args: [] }), { delay });
  for (let i = 0; i < 3 + extraOk; i++) await send(`ok_${queue}`);
  await send(`flaky_${queue}`);
  await send(`ok_${queue}`, 200);
}

/** Scrapes until the counts match `times` rounds of the workload (with `extraOk` more ok runs per round). */
async function settled(port: number, times: number, extraOk = 0): Promise<Scrape> {
  let last: Scrape | undefined;
  try {
    return await waitFor(
      `${times} rounds of work on the scrape`,
      async () => {
        last = await scrape(port);
        const ok = value(last, "dramatiq_messages_total", { queue_name: queue, actor_name: `ok_${queue}` });
        const rejects = value(last, "dramatiq_message_rejects_total", { queue_name: queue, actor_name: `flaky_${queue}` });
        return ok === (4 + extraOk) * times && rejects === times && (await redis.llen(`${namespace}:${queue}`)) === 0 ? last : undefined;
      },
      { timeout: 30_000, interval: 100 },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\nlast scrape:\n${last?.text ?? "(none)"}`, { cause: error });
  }
}

function expectRounds(s: Scrape, times: number, extraOk: number): void {
  const shifted = new Map(s.samples);
  // Fold the extra ok runs out so the shared expectations apply.
  const ok = `queue_name="${queue}"`;
  for (const [key, v] of shifted) {
    if (key.includes(`actor_name="ok_${queue}"`) && key.includes(ok) && /^dramatiq_(messages_total|message_duration_milliseconds_(count|bucket))/.test(key)) {
      shifted.set(key, key.includes("_bucket") && !key.includes('le="+Inf"') ? v : v - extraOk * times);
    }
  }
  expectWorkloadCounts({ ...s, samples: shifted }, queue, times);
}

test("q -p 2: one endpoint serves the sum of both worker processes; SIGKILL+restart and a reload keep the counts exact", async () => {
  const port = await freePort();
  const events = eventsFile();
  const q = runQ(["broker.js", "tasks.js", "-p", "2", "-t", "2"], { Q_NAMESPACE: namespace, Q_QUEUE: queue, Q_EVENTS: events, REDIS_URL, dramatiq_prom_port: String(port) });
  await q.line(/Serving Prometheus metrics on http:\/\/127\.0\.0\.1:\d+\//);
  expect(q.readyPids()).toHaveLength(2);

  // Round 1: both processes take part, the scrape shows the sum.
  await sendWorkload(20);
  const first = await settled(port, 1, 20);
  expectRounds(first, 1, 20);
  const pids = new Set(fs.readFileSync(events, "utf8").trim().split("\n"));
  expect(pids.size).toBe(2);
  expect(first.types.get("dramatiq_messages_total")).toBe("counter");
  // One endpoint only: no per-process ports (the line is printed once).
  expect(q.lines.filter((l) => /Serving Prometheus metrics/.test(l))).toHaveLength(1);

  // SIGKILL one worker process: the supervisor restarts it; its counts stay, never doubled.
  const [victim] = q.readyPids();
  const from = q.lines.length;
  process.kill(victim!, "SIGKILL");
  await q.line(/exited unexpectedly \(signal SIGKILL\); restarting it/, from);
  await waitFor("the replacement", () => (q.readyPids().length === 3 ? true : undefined), { timeout: 20_000 });
  for (let i = 0; i < 3; i++) expectRounds(await scrape(port), 1, 20);

  // Round 2 after the restart: exact, doubled nowhere.
  await sendWorkload(20);
  expectRounds(await settled(port, 2, 20), 2, 20);

  // A reload (HUP) replaces every worker and the fork process: still exact.
  const beforeReload = q.lines.length;
  q.proc.kill("SIGHUP");
  await q.line(/Reload complete: the previous worker processes have exited\./, beforeReload);
  await q.line(/Serving Prometheus metrics/, beforeReload);
  expectRounds(await scrape(port), 2, 20);
  await sendWorkload(20);
  expectRounds(await settled(port, 3, 20), 3, 20);

  q.proc.kill("SIGTERM");
  expect(await q.exited).toBe(0);
});

test("q -p 2: the queue depth is read by one worker process, not summed over processes", async () => {
  const port = await freePort();
  const q = runQ(["broker.js", "tasks.js", "-p", "2", "--queues", "other"], {
    Q_NAMESPACE: namespace,
    Q_QUEUE: queue,
    Q_EVENTS: eventsFile(),
    REDIS_URL,
    dramatiq_prom_port: String(port),
  });
  await q.line(/Serving Prometheus metrics/);
  // Nothing consumes `promq` (--queues other): the messages wait there.
  for (let i = 0; i < 5; i++) await producer.enqueue(new Message({ queueName: queue, actorName: `ok_${queue}`, args: [] }));
  await producer.enqueue(new Message({ queueName: queue, actorName: `ok_${queue}`, args: [] }), { delay: 60_000 });
  const s = await scrape(port);
  expect([value(s, "q_queue_pending_messages", { queue_name: queue }), value(s, "q_queue_delayed_messages", { queue_name: queue })]).toEqual([5, 1]);
  q.proc.kill("SIGTERM");
  expect(await q.exited).toBe(0);
});
