// The same work through Python Dramatiq 2.2.1 with its Prometheus middleware (its own
// exposition server) and through @q with @q/middleware-prometheus, on Redis: the two
// expositions have the same metric names, types, HELP texts, labels and buckets, and the
// same counts except where @q fixes Dramatiq's quirks (asserted explicitly below).
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RedisBroker } from "@q/broker-redis";
import { Message, Worker, actor } from "@q/core";
import { Prometheus } from "@q/middleware-prometheus";
import { type Scrape, scrape, silentLogger, value, waitFor } from "@q/test-support";
import { REDIS_URL, deleteNamespace, freshNamespace, requireRedis } from "@q/test-support/redis";
import Redis from "ioredis";
import { PythonProcess, requirePython } from "./python";

jest.setTimeout(90_000);

const QUEUE = "promq";
const OK = { queue_name: QUEUE, actor_name: "ok" };
const FLAKY = { queue_name: QUEUE, actor_name: "flaky" };
const DQ = `${QUEUE}.DQ`;
const SEVEN = [
  "dramatiq_messages_total",
  "dramatiq_message_errors_total",
  "dramatiq_message_retries_total",
  "dramatiq_message_rejects_total",
  "dramatiq_messages_inprogress",
  "dramatiq_delayed_messages_inprogress",
  "dramatiq_message_duration_milliseconds",
];

let redis: Redis;
const cleanups: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  requirePython();
  await requireRedis();
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  for (const clean of cleanups.reverse()) await clean();
  await redis.quit();
});

/** 3 ok, 1 flaky (fails both attempts: 1 retry, then dead-lettered), 1 ok delayed 300 ms. */
async function sendWork(namespace: string): Promise<void> {
  const producer = new RedisBroker({ url: REDIS_URL, namespace, logger: silentLogger() });
  for (let i = 0; i < 3; i++) await producer.enqueue(new Message({ queueName: QUEUE, actorName: "ok", args: [] }));
  await producer.enqueue(new Message({ queueName: QUEUE, actorName: "flaky", args: [] }));
  await producer.enqueue(new Message({ queueName: QUEUE, actorName: "ok", args: [] }), { delay: 300 });
  await producer.close();
}

/**
 * Scrapes until the work shows. `tolerateDrops`: Dramatiq's exposition server (a plain
 * HTTPServer reading the multiprocess files) now and then closes a connection without an
 * answer while its workers write those files ("socket hang up" in CI); such a scrape counts
 * as "not yet". @q's own server gets no such allowance.
 */
async function settled(port: number, tolerateDrops = false): Promise<Scrape> {
  let drops = 0;
  return waitFor(
    "the work on the scrape",
    async () => {
      let s: Scrape;
      try {
        s = await scrape(port);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (!tolerateDrops || !(code === "ECONNRESET" || code === "ECONNREFUSED" || /socket hang up/.test((error as Error).message))) throw error;
        if (++drops > 20) throw new Error(`Dramatiq's exposition dropped more than 20 scrapes`, { cause: error });
        return undefined;
      }
      return value(s, "dramatiq_messages_total", OK) === 4 && value(s, "dramatiq_message_rejects_total", FLAKY) === 1 ? s : undefined;
    },
    { timeout: 30_000, interval: 100 },
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

async function pythonExposition(): Promise<Scrape> {
  const namespace = freshNamespace("qpromi");
  const db = mkdtempSync(join(tmpdir(), "dramatiq-prom-"));
  const port = await freePort();
  const py = await PythonProcess.start(
    {
      broker: "redis",
      url: REDIS_URL,
      namespace,
      prom_db: db,
      prom_port: port,
      out: join(db, "runs.jsonl"),
      threads: 2,
      actors: [
        { name: "ok", queue: QUEUE },
        { name: "flaky", queue: QUEUE, fail: -1, options: { max_retries: 1, min_backoff: 10, max_backoff: 20 } },
      ],
    },
    "prometheus",
  );
  cleanups.push(async () => {
    await py.stop();
    rmSync(db, { recursive: true, force: true });
    await deleteNamespace(redis, namespace);
  });
  await sendWork(namespace);
  return settled(port, true);
}

async function qExposition(): Promise<Scrape> {
  const namespace = freshNamespace("qpromi");
  const broker = new RedisBroker({ url: REDIS_URL, namespace, logger: silentLogger() });
  const prometheus = new Prometheus({ queueDepth: false });
  broker.addMiddleware(prometheus);
  actor(async function ok() {}, { broker, queueName: QUEUE });
  actor(
    async function flaky() {
      throw new Error("flaky fails on purpose");
    },
    { broker, queueName: QUEUE, maxRetries: 1, minBackoff: 10, maxBackoff: 20 },
  );
  const worker = new Worker(broker, { concurrency: 2 });
  await worker.start();
  const server = await prometheus.serve({ host: "127.0.0.1", port: 0 });
  cleanups.push(async () => {
    await worker.stop();
    await server.close();
    await broker.close();
    await deleteNamespace(redis, namespace);
  });
  await sendWork(namespace);
  return settled(server.port);
}

/** Label names of every sample of `metric` (`_bucket`/`_sum`/`_count` for the histogram). */
function labelNames(s: Scrape, metric: string): string[] {
  const names = new Set<string>();
  for (const key of s.samples.keys()) {
    const m = /^([a-z_]+)(?:\{(.*)\})?$/.exec(key)!;
    if (m[1] !== metric && !(m[1]!.startsWith(metric) && /_(bucket|sum|count)$/.test(m[1]!))) continue;
    for (const l of (m[2] ?? "").matchAll(/([a-z_]+)="/g)) names.add(l[1]!);
  }
  return [...names].sort();
}

function bucketsOf(s: Scrape, labels: Record<string, string>): string[] {
  const prefix = "dramatiq_message_duration_milliseconds_bucket{";
  return [...s.samples.keys()]
    .filter((k) => k.startsWith(prefix) && k.includes(`actor_name="${labels.actor_name}"`) && k.includes(`queue_name="${labels.queue_name}"`))
    .map((k) => /le="([^"]+)"/.exec(k)![1]!)
    .sort((a, b) => Number(a === "+Inf" ? Infinity : a) - Number(b === "+Inf" ? Infinity : b));
}

test("Dramatiq's and @q's expositions of the same work: same names, types, HELP, labels and buckets; counts differ only where @q fixes the quirks", async () => {
  const [py, q] = await Promise.all([pythonExposition(), qExposition()]);
  // The text format: prometheus-client 0.26 labels it version 1.0.0, @q the classic 0.0.4 that
  // Dramatiq's spec names (the same lines for these metrics; Prometheus reads both).
  expect([q.contentType, py.contentType]).toEqual(["text/plain; version=0.0.4; charset=utf-8", "text/plain; version=1.0.0; charset=utf-8"]);
  for (const metric of SEVEN) {
    expect([metric, q.types.get(metric), q.help.get(metric)]).toEqual([metric, py.types.get(metric), py.help.get(metric)]);
  }
  // Labels: the same, except the pid label Dramatiq's multiprocess mode adds to the delayed gauge.
  for (const metric of SEVEN.filter((m) => m !== "dramatiq_delayed_messages_inprogress")) {
    expect([metric, labelNames(q, metric)]).toEqual([metric, labelNames(py, metric)]);
  }
  expect(labelNames(py, "dramatiq_delayed_messages_inprogress")).toEqual(["actor_name", "pid", "queue_name"]);
  expect(labelNames(q, "dramatiq_delayed_messages_inprogress")).toEqual(["actor_name", "queue_name"]);
  // Buckets: the same bounds (Python prints le="5.0", @q le="5"; the same number to Prometheus).
  expect(bucketsOf(q, OK).map(Number)).toEqual(bucketsOf(py, OK).map(Number));
  expect(bucketsOf(q, OK)).toHaveLength(19);

  // Counts that agree.
  for (const [metric, labels] of [
    ["dramatiq_messages_total", OK],
    ["dramatiq_messages_total", FLAKY],
    ["dramatiq_message_errors_total", FLAKY],
    ["dramatiq_message_rejects_total", FLAKY],
    ["dramatiq_messages_inprogress", OK],
    ["dramatiq_message_duration_milliseconds_count", OK],
    ["dramatiq_message_duration_milliseconds_bucket", { ...OK, le: "+Inf" }],
  ] as const) {
    expect([metric, labels, value(q, metric, labels)]).toEqual([metric, labels, value(py, metric, labels)]);
  }
  expect([value(q, "dramatiq_messages_total", OK), value(q, "dramatiq_message_rejects_total", FLAKY)]).toEqual([4, 1]);

  // Quirk 1, retries counted twice: Dramatiq counts the .DQ enqueue and the move back; @q the retry once.
  expect([value(py, "dramatiq_message_retries_total", { ...FLAKY, queue_name: DQ }), value(py, "dramatiq_message_retries_total", FLAKY)]).toEqual([1, 1]);
  expect(value(q, "dramatiq_message_retries_total", FLAKY)).toBe(1);
  expect(value(q, "dramatiq_message_retries_total", { ...FLAKY, queue_name: DQ })).toBeUndefined();

  // Quirk 2, the delayed gauge: Dramatiq raises it on "<q>.DQ" (with a pid) and lowers it on "<q>",
  // so the series drift to +n and -n; @q raises and lowers the same "<q>" series, back to 0.
  const pyDelayed = [...py.samples].filter(([k]) => k.startsWith("dramatiq_delayed_messages_inprogress{") && k.includes('actor_name="ok"'));
  expect(pyDelayed.filter(([k]) => k.includes(`queue_name="${DQ}"`)).map(([, v]) => v)).toEqual([1]);
  expect(pyDelayed.filter(([k]) => k.includes(`queue_name="${QUEUE}"`)).map(([, v]) => v)).toEqual([-1]);
  expect(value(q, "dramatiq_delayed_messages_inprogress", OK)).toBe(0);
  expect([...q.samples.keys()].filter((k) => k.includes(`queue_name="${DQ}"`))).toEqual([]);
});
