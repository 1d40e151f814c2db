// The middleware in one process on the stub broker: every metric's name, type, HELP text,
// labels and buckets, the counts after real work (Dramatiq's quirks fixed), queue depth,
// and the exposition server's defaults.
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { StubBroker } from "@q/broker-stub";
import { ConfigurationError, type QueueDepth, Worker, actor } from "@q/core";
import { silentLogger, waitFor } from "@q/test-support";
import { Prometheus } from "../src";
import { DRAMATIQ_BUCKETS, DRAMATIQ_METRICS, scrape, value } from "./support/scrape";
import { declareWorkload, expectWorkloadCounts } from "./support/workload";

jest.setTimeout(30_000);

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function setUp(options: ConstructorParameters<typeof Prometheus>[0] = {}) {
  const broker = new StubBroker({ logger: silentLogger() });
  const prometheus = new Prometheus(options);
  broker.addMiddleware(prometheus);
  const worker = new Worker(broker, { timeout: 50 });
  const server = await prometheus.serve({ host: "127.0.0.1", port: 0 });
  closers.push(async () => {
    await worker.stop();
    await server.close();
  });
  return { broker, prometheus, worker, server };
}

test("the seven metrics carry Dramatiq's names, types and HELP texts, and the duration histogram its buckets", async () => {
  const { broker, worker, server } = await setUp();
  const work = declareWorkload(broker, "shapes");
  await worker.start();
  await work.ok.send(1);
  await broker.join("shapes");
  const s = await scrape(server.port);
  expect(s.status).toBe(200);
  expect(s.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
  for (const [name, [type, help]] of Object.entries(DRAMATIQ_METRICS)) {
    expect([name, s.types.get(name), s.help.get(name)]).toEqual([name, type, help]);
  }
  const labels = { queue_name: "shapes", actor_name: "ok_shapes" };
  const buckets = [...s.samples.keys()].filter((k) => k.startsWith("dramatiq_message_duration_milliseconds_bucket"));
  expect(buckets).toHaveLength(DRAMATIQ_BUCKETS.length);
  for (const le of DRAMATIQ_BUCKETS) expect(value(s, "dramatiq_message_duration_milliseconds_bucket", { ...labels, le })).toBe(1);
  expect(value(s, "dramatiq_message_duration_milliseconds_sum", labels)).toBeGreaterThanOrEqual(0);
});

test("after real work the counters hold exact counts: a retry counts once and nothing is labelled .DQ", async () => {
  const { broker, worker, server } = await setUp();
  const work = declareWorkload(broker, "counts");
  await worker.start();
  await work.send();
  await waitFor("the work to settle", async () => (broker.deadLetters.length === 1 ? true : undefined));
  await broker.join("counts", { failFast: false });
  expectWorkloadCounts(await scrape(server.port), "counts");
});

test("the delayed gauge goes up on the canonical queue while a message is parked and back to 0 once it moves", async () => {
  const { broker, worker, server } = await setUp();
  const later = actor(async function later() {}, { broker, queueName: "parked" });
  await worker.start();
  await later.sendWithOptions({ args: [], delay: 1500 });
  const labels = { queue_name: "parked", actor_name: "later" };
  const parked = await waitFor("the parked message", async () => {
    const s = await scrape(server.port);
    return value(s, "dramatiq_delayed_messages_inprogress", labels) === 1 ? s : undefined;
  });
  expect(value(parked, "dramatiq_delayed_messages_inprogress", { ...labels, queue_name: "parked.DQ" })).toBeUndefined();
  await broker.join("parked");
  const s = await scrape(server.port);
  expect(value(s, "dramatiq_delayed_messages_inprogress", labels)).toBe(0);
  expect(value(s, "dramatiq_messages_total", labels)).toBe(1);
});

test("messages in progress show on the gauge while their actor runs", async () => {
  const { broker, worker, server } = await setUp();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const busy = actor(async function busy() { await gate; }, { broker, queueName: "busy" });
  await worker.start();
  await busy.send();
  await busy.send();
  const labels = { queue_name: "busy", actor_name: "busy" };
  await waitFor("two in progress", async () => (value(await scrape(server.port), "dramatiq_messages_inprogress", labels) === 2 ? true : undefined));
  release();
  await broker.join("busy");
  expect(value(await scrape(server.port), "dramatiq_messages_inprogress", labels)).toBe(0);
});

test("queue depth gauges read the broker at scrape time: pending, delayed, dead letters, in flight", async () => {
  const { broker, server } = await setUp(); // no worker started: everything stays queued
  const work = declareWorkload(broker, "depth");
  await work.send(60_000);
  const s = await scrape(server.port);
  const q = { queue_name: "depth" };
  expect([
    value(s, "q_queue_pending_messages", q),
    value(s, "q_queue_delayed_messages", q),
    value(s, "q_queue_dead_letter_messages", q),
    value(s, "q_queue_inflight_messages", q),
    value(s, "q_queue_depth_age_seconds", q),
  ]).toEqual([4, 1, 0, 0, 0]);
  expect(s.types.get("q_queue_pending_messages")).toBe("gauge");
});

test("a queue depth read slower than depthTimeout never stalls the scrape: the last value is served, with its age", async () => {
  const { broker, server } = await setUp({ depthTimeout: 100 });
  actor(async function slowq() {}, { broker, queueName: "slowq" });
  const real = broker.queueDepth.bind(broker);
  let delay = 0;
  broker.queueDepth = async (queue: string): Promise<QueueDepth> => {
    await sleep(delay);
    return real(queue);
  };
  await broker.enqueueRaw("slowq", Buffer.from("{}"));
  expect(value(await scrape(server.port), "q_queue_pending_messages", { queue_name: "slowq" })).toBe(1);
  delay = 3000;
  await sleep(50);
  const started = Date.now();
  const s = await scrape(server.port);
  expect(Date.now() - started).toBeLessThan(1000);
  expect(value(s, "q_queue_pending_messages", { queue_name: "slowq" })).toBe(1);
  expect(value(s, "q_queue_depth_age_seconds", { queue_name: "slowq" })).toBeGreaterThan(0);
});

test("a last queue depth older than depthMaxAge is left out rather than served", async () => {
  const { broker, server } = await setUp({ depthTimeout: 50, depthMaxAge: 200 });
  actor(async function stale() {}, { broker, queueName: "stale" });
  await scrape(server.port);
  broker.queueDepth = () => new Promise<QueueDepth>(() => undefined); // never answers
  await sleep(300);
  const s = await scrape(server.port);
  expect(value(s, "q_queue_pending_messages", { queue_name: "stale" })).toBeUndefined();
  expect(value(s, "dramatiq_messages_total", { queue_name: "stale", actor_name: "stale" })).toBeUndefined();
});

test("queueDepth: false leaves the depth gauges out; processMetrics: true adds Node's process metrics", async () => {
  const { broker, server } = await setUp({ queueDepth: false, processMetrics: true });
  actor(async function quiet() {}, { broker, queueName: "quiet" });
  await broker.enqueueRaw("quiet", Buffer.from("{}"));
  const s = await scrape(server.port);
  expect(s.types.has("q_queue_pending_messages")).toBe(false);
  expect(s.types.get("process_cpu_user_seconds_total")).toBe("counter");
  expect(s.types.get("nodejs_eventloop_lag_seconds")).toBe("gauge");
});

test("serve() listens on 0.0.0.0:9191 by default (Dramatiq's default)", async () => {
  const prometheus = new Prometheus();
  const server = await prometheus.serve().catch((error: Error) => {
    throw new Error(`Port 9191 must be free for this test of the default: ${error.message}`);
  });
  closers.push(() => server.close());
  expect([server.host, server.port]).toEqual(["0.0.0.0", 9191]);
  const s = await scrape(9191);
  expect(s.types.get("dramatiq_messages_total")).toBe("counter");
});

test("dramatiq_prom_host and dramatiq_prom_port choose the address; options win over them", async () => {
  const port = await freePort();
  process.env.dramatiq_prom_host = "127.0.0.1";
  process.env.dramatiq_prom_port = String(port);
  try {
    const fromEnv = await new Prometheus().serve();
    closers.push(() => fromEnv.close());
    expect([fromEnv.host, fromEnv.port]).toEqual(["127.0.0.1", port]);
    expect((await scrape(port)).status).toBe(200);
    const fromOptions = await new Prometheus({ port: 0 }).serve();
    closers.push(() => fromOptions.close());
    expect(fromOptions.port).not.toBe(port);
  } finally {
    delete process.env.dramatiq_prom_host;
    delete process.env.dramatiq_prom_port;
  }
});

test("bad settings are a ConfigurationError at construction, and a taken port one at serve()", async () => {
  process.env.dramatiq_prom_port = "nine";
  try {
    expect(() => new Prometheus()).toThrow(new ConfigurationError('Prometheus: dramatiq_prom_port must be an integer from 0 to 65535, got "nine".'));
  } finally {
    delete process.env.dramatiq_prom_port;
  }
  expect(() => new Prometheus({ port: 70000 })).toThrow(ConfigurationError);
  expect(() => new Prometheus({ depthTimeout: -1 })).toThrow(ConfigurationError);
  const first = await new Prometheus({ host: "127.0.0.1", port: 0 }).serve();
  closers.push(() => first.close());
  await expect(new Prometheus({ host: "127.0.0.1", port: first.port }).serve()).rejects.toThrow(`Prometheus: cannot listen on 127.0.0.1:${first.port} (EADDRINUSE).`);
});

test("only GET is answered", async () => {
  const { server } = await setUp();
  const status = await new Promise<number>((resolve, reject) => {
    const socket = net.connect(server.port, "127.0.0.1", () => socket.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
    let text = "";
    socket.on("data", (d) => (text += d.toString()));
    socket.on("end", () => resolve(Number(/^HTTP\/1.1 (\d+)/.exec(text)?.[1])));
    socket.on("error", reject);
  });
  expect(status).toBe(405);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}
