/**
 * Connection loss on a dedicated node of our own: server restarts, connections closed
 * from the server (`rabbitmqctl close_connection`), outages and failover to the next
 * URL. Producers and workers reconnect by themselves, nothing is lost, and stop/close
 * stay bounded while the server is away.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ConnectionClosed, ConnectionError, ConnectionFailed, Message, actor } from "@q/core";
import { RabbitmqBroker } from "../src";
import { useHarness } from "./harness";
import { PythonSide } from "./pythonSide";
import { useRabbitServer } from "./rabbitServer";
import { LEVEL, captureLogger, flood, silentLogger, waitFor } from "@q/test-support";
import { AMQP_URL, requireRabbit } from "@q/test-support/rabbitmq";

jest.setTimeout(120_000);

/** How a send failed, for counting: `written: "no"` when it was never sent (ConnectionFailed: no server was reached). */
const writtenKind = (e: unknown): string =>
  e instanceof ConnectionClosed ? `written: "${e.written}"` : e instanceof ConnectionFailed ? 'written: "no"' : String(e);

const server = useRabbitServer();
const h = useHarness(() => server().url());

/** The same actor declared on a producer's broker and on a worker's broker (two processes in real life). */
function counter(producer: RabbitmqBroker, worker: RabbitmqBroker, queueName: string) {
  const seen = new Set<number>();
  let runs = 0;
  const send = actor(function conn_count(_n: number) {}, { broker: producer, queueName });
  actor(
    function conn_count(n: number) {
      seen.add(n);
      runs++;
    },
    { broker: worker, queueName },
  );
  return { send, seen, runs: () => runs };
}

test.each([
  ["a server restart (rabbitmqctl stop, start)", false],
  ["a server crash (SIGKILL) and restart", true],
])("%s in the middle of 3000 messages loses none of them", async (_title, crash) => {
  const queue = h.queue("restart");
  const { logger, find } = captureLogger("info");
  const producer = h.broker({ confirmDelivery: true, logger });
  const consumer = h.broker({ confirmDelivery: true, logger });
  const { send, seen, runs } = counter(producer, consumer, queue);
  await h.worker(consumer, { concurrency: 20, restartDelay: 200 });

  const N = 3000;
  let sent = 0;
  const sending = (async () => {
    for (let i = 0; i < N; i += 200) {
      // At most 600 ahead of the worker, so the restart below always falls mid-run on both
      // sides, however fast or loaded the machine is.
      while (i - seen.size > 600) await sleep(5);
      const batch = Array.from({ length: Math.min(200, N - i) }, (_, k) => send.message(i + k));
      await producer.enqueueMany(batch);
      sent = i + batch.length;
    }
  })();
  await waitFor("a third of the messages to run", () => seen.size >= N / 3, { timeout: 30_000, interval: 5 });
  const atRestart = { sent, seen: seen.size };
  await server().restart({ crash });
  await sending;
  await waitFor(`all ${N} messages to run`, () => seen.size === N, { timeout: 60_000, interval: 50 });

  expect(atRestart.sent).toBeLessThan(N); // the restart really happened mid-run, on both sides
  expect(atRestart.seen).toBeLessThan(N);
  expect(seen.size).toBe(N);
  expect(runs()).toBeGreaterThanOrEqual(N); // at-least-once: a few may run twice
  expect(find(LEVEL.warn, /Lost the connection to RabbitMQ/).length).toBeGreaterThanOrEqual(2);
  await consumer.join(queue, { timeout: 10_000 });
});

test("after rabbitmqctl close_connection, producers and workers reconnect and carry on", async () => {
  const queue = h.queue("closed");
  const { logger, find } = captureLogger("info");
  const producer = h.broker({ logger });
  const consumer = h.broker({ logger });
  const { send, seen } = counter(producer, consumer, queue);
  await h.worker(consumer, { restartDelay: 200 });
  for (let i = 0; i < 20; i++) await send.send(i);
  await waitFor("the first 20", () => seen.size === 20);

  expect(await server().closeConnections()).toBeGreaterThanOrEqual(3); // producer, worker, the test's own
  await waitFor("both brokers to notice", () => find(LEVEL.warn, /Lost the connection/).length >= 2);
  for (let i = 20; i < 40; i++) await send.send(i);
  await waitFor("the next 20", () => seen.size === 40, { timeout: 15_000 });
  expect(find(LEVEL.info, /Connected to RabbitMQ/).length).toBeGreaterThanOrEqual(4);
});

test.each([
  ["an ack", "ack", "Could not ack message"],
  ["a nack", "nack", "Could not dead-letter message"],
] as const)("%s that cannot be sent (the connection is closing) is a warning naming the message; RabbitMQ delivers it again", async (_title, what, text) => {
  const queue = h.queue("unsent");
  const { logger, find } = captureLogger("debug");
  const broker = h.broker({ logger });
  const consumer = broker.consume(queue, { timeout: 100 });
  await consumer.connect!();
  await h.python.publish(queue, new Message({ queueName: queue, actorName: "x", args: [1] }).encode());
  const message = (await consumer.next())!;
  // A close we start ourselves: until RabbitMQ answers it, amqplib refuses to send on its channels.
  const closing = broker.connections.live!.close();
  await consumer[what](message);
  await waitFor("the warning", () => find(LEVEL.warn, text).length > 0);
  expect(find(LEVEL.warn, text).map((l) => l.msg)).toEqual([
    `${text} ${message.messageId} on the channel of ${queue}: Connection closing; RabbitMQ delivers it again.`,
  ]);
  await closing;
  // Neither the ack nor the dead-lettering happened: the message is back on its queue.
  await waitFor("the message back on its queue", async () => (await h.python.count(queue)) === 1);
  expect(await h.python.count(`${queue}.XQ`)).toBe(0);
});

describe("while the server is down", () => {
  afterEach(async () => {
    await server().start(); // idempotent for later tests: a running node just answers
  }, 90_000);

  test("a publish fails with a ConnectionError naming the problem once publishTimeout has passed", async () => {
    const queue = h.queue("outage");
    const broker = h.broker({ publishTimeout: 1500 });
    const job = actor(function outage_job() {}, { broker, queueName: queue });
    await job.send(); // connected and declared
    await server().stop();
    const started = Date.now();
    const error = await job.send().then(
      () => undefined,
      (e: unknown) => e,
    );
    const waited = Date.now() - started;
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(new RegExp(`Could not use queue ${queue}: RabbitMQ was unreachable for \\d+ ms \\(tried amqp://guest:\\*\\*\\*@127\\.0\\.0\\.1:${server().port}`));
    expect(waited).toBeGreaterThanOrEqual(1400);
    expect(waited).toBeLessThan(5000);
  });

  test("a publish made during an outage goes through once the server is back within publishTimeout", async () => {
    const queue = h.queue("waits");
    const producer = h.broker({ publishTimeout: 30_000, confirmDelivery: true });
    const consumer = h.broker();
    const { send, seen } = counter(producer, consumer, queue);
    await h.worker(consumer, { restartDelay: 200 });
    await send.send(1);
    await waitFor("the first message", () => seen.has(1));
    await server().stop();
    const pending = send.send(2);
    await sleep(500);
    await server().start();
    await pending;
    await waitFor("the message sent during the outage", () => seen.has(2), { timeout: 15_000 });
  });

  test.each([false, true])("a producer sending at full speed into a stopped RabbitMQ (confirms %s) stays within offlineQueueBytes: the rest fail at once, never sent, and every send that resolved runs exactly once", async (confirmDelivery) => {
    const queue = h.queue("flood");
    const LIMIT = 8 * 1024 * 1024;
    const producer = h.broker({ confirmDelivery, offlineQueueBytes: LIMIT }); // default publishTimeout, 30 s
    const consumer = h.broker();
    const runs = new Map<number, number>();
    const send = actor(function flood_job(_n: number) {}, { broker: producer, queueName: queue });
    actor(function flood_job(n: number) {
      runs.set(n, (runs.get(n) ?? 0) + 1);
    }, { broker: consumer, queueName: queue });
    await send.send(-1); // connected and declared
    await server().stop();
    await waitFor("the producer to see the node gone", () => !producer.connected, { timeout: 10_000 });

    const run = await flood((n) => send.send(n), 10_000, writtenKind) // the node then has 20 s to restart;
    await server().start();
    const { resolved, rejected } = await run.settled();
    const notSent = rejected['written: "no"'] ?? 0;
    await h.worker(consumer, { concurrency: 50 });
    await waitFor(`the ${resolved} resolved sends to run`, () => runs.size === resolved + 1, { timeout: 60_000 });
    await sleep(500);
    const peak = run.peakHeapGrowth;
    console.log(`rabbitmq outage (confirms ${confirmDelivery}): ${run.sent} sends in 10 s, ${notSent} failed at once, ${resolved} waited and were published; heap growth peak ${(peak / 2 ** 20).toFixed(1)} MiB (bound ${LIMIT / 2 ** 20} MiB)`);
    expect(Object.keys(rejected)).toEqual(['written: "no"']); // every failure: never sent
    expect(resolved + notSent).toBe(run.sent);
    expect(resolved).toBeGreaterThan(0);
    expect(notSent).toBeGreaterThan(run.sent / 2);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(runs.size).toBe(resolved + 1); // nothing that failed was published
    expect(peak).toBeLessThan(3 * LIMIT);
  });

  test("worker.stop() and broker.close() resolve while RabbitMQ is unreachable", async () => {
    const queue = h.queue("stops");
    const broker = new RabbitmqBroker({ url: server().url(), logger: silentLogger() });
    const seen = new Set<number>();
    const send = actor(
      function stop_count(n: number) {
        seen.add(n);
      },
      { broker, queueName: queue },
    );
    const worker = await h.worker(broker, { restartDelay: 200 });
    await send.send(1);
    await waitFor("the first message", () => seen.has(1));
    await server().stop();
    await sleep(300);
    const started = Date.now();
    await worker.stop({ timeout: 1000 });
    await broker.close();
    expect(Date.now() - started).toBeLessThan(8000);
  });
});

test("after losing its node, a broker given several URLs fails over to the next one and declares what is missing there", async () => {
  await requireRabbit(AMQP_URL);
  const queue = h.queue("failover");
  const shared = await PythonSide.connect(AMQP_URL);
  try {
    const { logger, find } = captureLogger("info");
    const producer = h.broker({ url: [server().url(), AMQP_URL], confirmDelivery: true, logger });
    const consumer = h.broker({ url: `${server().url()};${AMQP_URL}`, logger });
    const { send, seen } = counter(producer, consumer, queue);
    await h.worker(consumer, { restartDelay: 200 });
    for (let i = 0; i < 5; i++) await send.send(i);
    await waitFor("the first five on the first node", () => seen.size === 5);
    expect(await shared.exists(queue)).toBe(false);

    await server().stop();
    for (let i = 5; i < 10; i++) await send.send(i);
    await waitFor("the next five on the second node", () => seen.size === 10, { timeout: 20_000 });
    expect(await shared.exists(queue)).toBe(true);
    expect(await shared.exists(`${queue}.XQ`)).toBe(true);
    expect(find(LEVEL.info, new RegExp(`Connected to RabbitMQ at amqp://guest:\\*\\*\\*@127\\.0\\.0\\.1:${new URL(AMQP_URL).port || 5672}`)).length).toBe(2);
  } finally {
    await server().start();
    await shared.deleteAll(queue);
    await shared.close();
  }
});
