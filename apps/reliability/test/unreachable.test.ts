/**
 * The broker goes away mid-run (its server stopped) and everything that stops must still stop
 * within its documented deadline, with the DEFAULT connect settings (connectTimeout,
 * operationTimeout, publishTimeout untouched): `worker.stop({ timeout })` (docs/workers.md:
 * `timeout` + 5 s), `broker.close()` (the broker READMEs: about 1 s), `q` on TERM idle and busy
 * (docs/cli.md: `--worker-shutdown-timeout` + 5 s), and a `q` booting with the broker down exits
 * 3 after `connectTimeout` (docs/cli.md). Every duration is measured and recorded; one outage
 * per broker serves all of them at once.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Worker, actor, type Broker } from "@q/core";
import { RedisBroker } from "@q/broker-redis";
import { RabbitmqBroker } from "@q/broker-rabbitmq";
import { RedisServer } from "@q/test-support/redis-server";
import { RabbitServer } from "@q/test-support/rabbit-server";
import { killAllQ, type QRun, waitReady } from "@q/test-support/q-process";
import { captureLogger, LEVEL } from "@q/test-support";
import { freshNamespace } from "@q/test-support/redis";
import { startQ } from "./support/chaosQ";
import { Ledger } from "./support/ledger";
import { recordFigure } from "./support/figures";
import { rabbitCounts, redisLeftovers, until } from "./support/servers";

/** The documented deadlines, in ms. */
const STOP_TIMEOUT = 3000;
/** worker.stop(): `timeout`, then up to 5 s to return prefetched messages and close the consumers. */
const STOP_DEADLINE = STOP_TIMEOUT + 5000;
/** broker.close(): each connection is given 1 s to close, then dropped. */
const CLOSE_DEADLINE = 2000;
/** q on TERM: --worker-shutdown-timeout, then the workers' 5 s to return and close. */
const SHUTDOWN_TIMEOUT = 3000;
const TERM_DEADLINE = SHUTDOWN_TIMEOUT + 5000 + 1000; // + the supervisor's own exit
/** The brokers' default connectTimeout, and the idle processes' graceful stop after it. */
const CONNECT_TIMEOUT = { redis: 5000, rabbitmq: 10_000 };
const EXIT3_DEADLINE = (broker: "redis" | "rabbitmq") => CONNECT_TIMEOUT[broker] + 5000;
/** Timers fire a little late on a loaded 2-core machine: what a deadline may be missed by when measured from outside. */
const SLACK = 250;

let ledger: Ledger;
/** Every in-process worker and broker made, stopped at the end even when a test failed half-way (or jest would wait on their reconnects). */
const made: { workers: Worker[]; brokers: Broker[] } = { workers: [], brokers: [] };

beforeAll(async () => {
  ledger = await Ledger.open();
});

afterAll(async () => {
  await Promise.all(made.workers.map((w) => w.stop({ timeout: 0 })));
  await Promise.all(made.brokers.map((b) => b.close()));
  await killAllQ();
  await ledger?.close();
});

/** Milliseconds `promise` took; its value too. */
async function timed<T>(promise: Promise<T>): Promise<{ ms: number; value: T }> {
  const start = Date.now();
  const value = await promise;
  return { ms: Date.now() - start, value };
}

async function termExit(q: QRun, timeout: number): Promise<{ ms: number; value: number | null }> {
  const start = Date.now();
  q.proc.kill("SIGTERM");
  const value = await q.exitCode(timeout);
  return { ms: Date.now() - start, value };
}

interface Subjects {
  idleQ: QRun;
  busyQ: QRun;
  idle: { broker: Broker; worker: Worker };
  busy: { broker: Broker; worker: Worker; started: Promise<void> };
}

/** Two q (one idle, one with messages running) and two in-process workers (idle, busy), all running. */
async function startSubjects(
  kind: "redis" | "rabbitmq",
  url: string,
  makeBroker: () => Broker,
  busyTaken: () => Promise<boolean>,
  namespace?: string,
): Promise<Subjects> {
  const common = { broker: kind, url, namespace, processes: 1, threads: 2, args: ["--worker-shutdown-timeout", String(SHUTDOWN_TIMEOUT)] } as const;
  const idleQ = startQ({ ...common, queue: "idle", env: ledger.env });
  const busyQ = startQ({ ...common, queue: "busy", env: { ...ledger.env, CHAOS_WORK_MS: "20000" } });
  const idleBroker = makeBroker();
  actor(function chaos_idle() {}, { broker: idleBroker, queueName: "inproc-idle" });
  const idle = { broker: idleBroker, worker: new Worker(idleBroker, { concurrency: 1 }) };
  const busyBroker = makeBroker();
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const slow = actor(
    async function chaos_slow() {
      markStarted();
      // Abandoned at the stop deadline and left running, as documented: unref'd so it does not hold jest.
      await new Promise((resolve) => setTimeout(resolve, 20_000).unref());
    },
    { broker: busyBroker, queueName: "inproc-busy" },
  );
  const busy = { broker: busyBroker, worker: new Worker(busyBroker, { concurrency: 1 }), started };
  made.workers.push(idle.worker, busy.worker);
  made.brokers.push(idle.broker, busy.broker);
  await Promise.all([idle.worker.start(), busy.worker.start(), waitReady(idleQ, 1, 30_000), waitReady(busyQ, 1, 30_000)]);
  // The busy q gets messages that run 20 s (longer than its shutdown timeout).
  // Sent from a broker of its own: a worker of the broker that declares the queue would consume it.
  const sender = makeBroker();
  const chaosWork = actor(function chaos_work(_i: number) {}, { broker: sender, queueName: "busy" });
  await Promise.all([0, 1, 2].map((i) => chaosWork.send(i)));
  await sender.close();
  await slow.send();
  await started;
  await until("the busy q to take its messages", busyTaken, 15_000);
  await sleep(200);
  return { idleQ, busyQ, idle, busy };
}

/** After the server went away: everything stops at once, each timed; a q boots against the dead port. */
async function stopAll(kind: "redis" | "rabbitmq", s: Subjects, deadUrl: string, namespace?: string) {
  const booting = timed(startQ({ broker: kind, url: deadUrl, namespace, queue: "boot", processes: 1, threads: 1, env: ledger.env }).exitCode(60_000));
  const [idleQ, busyQ, idleStop, busyStop] = await Promise.all([
    termExit(s.idleQ, 60_000),
    termExit(s.busyQ, 60_000),
    timed(s.idle.worker.stop({ timeout: STOP_TIMEOUT })),
    timed(s.busy.worker.stop({ timeout: STOP_TIMEOUT })),
  ]);
  const [idleClose, busyClose] = await Promise.all([timed(s.idle.broker.close()), timed(s.busy.broker.close())]);
  const boot = await booting;
  const figures = {
    qTermIdleMs: idleQ.ms,
    qTermBusyMs: busyQ.ms,
    workerStopIdleMs: idleStop.ms,
    workerStopBusyMs: busyStop.ms,
    brokerCloseIdleMs: idleClose.ms,
    brokerCloseBusyMs: busyClose.ms,
    qBootExit3Ms: boot.ms,
    deadlines: { workerStop: STOP_DEADLINE, brokerClose: CLOSE_DEADLINE, qTerm: TERM_DEADLINE, qBootExit3: EXIT3_DEADLINE(kind) },
  };
  recordFigure(`${kind}.unreachable`, figures);
  return { idleQ, busyQ, idleStop, busyStop, idleClose, busyClose, boot, figures };
}

function expectWithinDeadlines(kind: "redis" | "rabbitmq", r: Awaited<ReturnType<typeof stopAll>>): void {
  expect(r.idleQ.value).toBe(0);
  expect(r.busyQ.value).toBe(0);
  expect(r.boot.value).toBe(3);
  // The busy q waited for its running messages until --worker-shutdown-timeout: it was busy.
  expect(r.figures.qTermBusyMs).toBeGreaterThanOrEqual(SHUTDOWN_TIMEOUT);
  expect(r.figures.qTermIdleMs).toBeLessThanOrEqual(TERM_DEADLINE + SLACK);
  expect(r.figures.qTermBusyMs).toBeLessThanOrEqual(TERM_DEADLINE + SLACK);
  expect(r.figures.workerStopIdleMs).toBeLessThanOrEqual(STOP_DEADLINE + SLACK);
  expect(r.figures.workerStopBusyMs).toBeLessThanOrEqual(STOP_DEADLINE + SLACK);
  expect(r.figures.brokerCloseIdleMs).toBeLessThanOrEqual(CLOSE_DEADLINE + SLACK);
  expect(r.figures.brokerCloseBusyMs).toBeLessThanOrEqual(CLOSE_DEADLINE + SLACK);
  // Not before connectTimeout (it waited for the server as documented), not long after it.
  expect(r.figures.qBootExit3Ms).toBeGreaterThanOrEqual(CONNECT_TIMEOUT[kind]);
  expect(r.figures.qBootExit3Ms).toBeLessThanOrEqual(EXIT3_DEADLINE(kind) + SLACK);
}

test("Redis SIGKILLed mid-run (default connect settings): worker.stop, broker.close, q on TERM idle and busy finish within their deadlines; q booting against it exits 3 after connectTimeout", async () => {
  const server = await RedisServer.start();
  try {
    const namespace = freshNamespace();
    const capture = captureLogger("info");
    const subjects = await startSubjects("redis", server.url(), () => new RedisBroker({ url: server.url(), namespace, logger: capture.logger }),
      async () => {
        const admin = server.client();
        const left = await redisLeftovers(admin, namespace, "busy");
        admin.disconnect();
        return left.listed === 0 && left.inAckSets >= 3; // with the in-process busy worker's one
      },
      namespace,
    );
    await server.stop("SIGKILL");
    await sleep(500);
    const result = await stopAll("redis", subjects, server.url(), namespace);
    expectWithinDeadlines("redis", result);
    expect(capture.lines.filter((l) => l.level >= LEVEL.error).map((l) => l.msg)).toEqual([]);
  } finally {
    await server.destroy();
  }
}, 120_000);

test("RabbitMQ stopped mid-run (default connect settings): worker.stop, broker.close, q on TERM idle and busy finish within their deadlines; q booting against it exits 3 after connectTimeout", async () => {
  const server = await RabbitServer.start();
  try {
    const capture = captureLogger("info");
    const subjects = await startSubjects("rabbitmq", server.url(), () => new RabbitmqBroker({ url: server.url(), logger: capture.logger }),
      async () => {
        const counts = await rabbitCounts(server, "busy");
        return counts.ready === 0 && counts.unacked === 3;
      },
    );
    await server.stop();
    await sleep(500);
    const result = await stopAll("rabbitmq", subjects, server.url());
    expectWithinDeadlines("rabbitmq", result);
    expect(capture.lines.filter((l) => l.level === LEVEL.error).map((l) => l.msg)).toEqual([]);
  } finally {
    await server.destroy().catch(() => undefined);
  }
}, 150_000);
