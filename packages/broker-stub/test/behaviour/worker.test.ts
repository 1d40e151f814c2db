/**
 * Dramatiq tests/test_worker.py, spec 17.1 items 14–15, plus pause/resume and stop-time requeueing.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type Broker, ConfigurationError, type MessageProxy, Middleware, Worker, actor } from "@q/core";
import { newBroker, startWorker, stopStartedWorkers } from "./harness";

afterEach(stopStartedWorkers);

// 14. test_workers_dont_register_queues_that_arent_whitelisted
test("workers don't consume queues that aren't whitelisted", async () => {
  const broker = newBroker();
  const worker = await startWorker(broker, { queues: ["a"] });
  const ran: string[] = [];
  // Declared after the worker started: the worker still learns about them.
  const onA = actor(function onA() {
    ran.push("a");
  }, { broker, queueName: "a" });
  const onB = actor(function onB() {
    ran.push("b");
  }, { broker, queueName: "b" });

  expect(worker.consumedQueues.sort()).toEqual(["a", "a.DQ"]);

  await onA.send();
  await onB.send();
  await broker.join("a", { timeout: 5000 });
  await expect(broker.join("b", { timeout: 200 })).rejects.toMatchObject({ name: "QueueJoinTimeout" });
  expect(ran).toEqual(["a"]);
});

test("a whitelist given as a delay queue name means its canonical queue", async () => {
  const broker = newBroker();
  actor(function work() {}, { broker, queueName: "a" });
  actor(function other() {}, { broker, queueName: "b" });
  const worker = await startWorker(broker, { queues: ["a.DQ"] });
  expect(worker.consumedQueues.sort()).toEqual(["a", "a.DQ"]);
});

test("without a whitelist a worker consumes every declared queue and delay queue", async () => {
  const broker = newBroker();
  actor(function a() {}, { broker, queueName: "a" });
  const worker = await startWorker(broker);
  actor(function b() {}, { broker, queueName: "b" });
  expect(worker.consumedQueues.sort()).toEqual(["a", "a.DQ", "b", "b.DQ"]);
});

// 15. test_workers_process_messages_in_order
test("with concurrency 1, messages of equal priority run in FIFO order", async () => {
  const broker = newBroker();
  const results: number[] = [];
  const append = actor(async function append(x: number) {
    await sleep(Math.random() * 2);
    results.push(x);
  }, { broker });
  await startWorker(broker, { concurrency: 1 });

  const expected = Array.from({ length: 30 }, (_, i) => i);
  for (const x of expected) await append.send(x);
  await broker.join(append.queueName, { timeout: 10_000 });

  expect(results).toEqual(expected);
});

test("prefetched work is ordered by actor priority, then arrival", async () => {
  const broker = newBroker();
  const calls: string[] = [];
  const hi = actor(function hi(x: number) {
    calls.push(`hi${x}`);
  }, { broker, priority: 0 });
  const lo = actor(function lo(x: number) {
    calls.push(`lo${x}`);
  }, { broker, priority: 5 });
  const worker = await startWorker(broker, { concurrency: 1, prefetch: 10 });
  worker.pause();

  await lo.send(1);
  await hi.send(1);
  await lo.send(2);
  await hi.send(2);
  await sleep(50);
  worker.resume();
  await broker.join("default", { timeout: 5000 });

  expect(calls).toEqual(["hi1", "hi2", "lo1", "lo2"]);
});

test("actors that throw do not leak errors out of the worker", async () => {
  const broker = newBroker();
  const work = actor(function work() {
    throw new Error("inside");
  }, { broker, maxRetries: 0 });
  const other = actor(function other() {
    return undefined;
  }, { broker });
  await startWorker(broker);

  await work.send();
  await other.send();
  await expect(broker.join("default", { timeout: 5000 })).rejects.toThrow("inside");
  expect(broker.deadLetters.map((m) => m.actorName)).toEqual(["work"]);
});

test("no more than `concurrency` messages run at once", async () => {
  const broker = newBroker();
  let running = 0;
  let peak = 0;
  const work = actor(async function work() {
    peak = Math.max(peak, ++running);
    await sleep(10);
    running--;
  }, { broker });
  await startWorker(broker, { concurrency: 3 });

  for (let i = 0; i < 12; i++) await work.send();
  await broker.join(work.queueName, { timeout: 5000 });

  expect(peak).toBe(3);
});

test("a paused worker starts nothing; resume starts the work", async () => {
  const broker = newBroker();
  let runs = 0;
  const work = actor(function work() {
    runs++;
  }, { broker });
  const worker = await startWorker(broker);
  worker.pause();

  await work.send();
  await expect(broker.join(work.queueName, { timeout: 150 })).rejects.toMatchObject({ name: "QueueJoinTimeout" });
  expect(runs).toBe(0);

  worker.resume();
  await broker.join(work.queueName, { timeout: 5000 });
  expect(runs).toBe(1);
});

test("stop() puts prefetched messages back on the broker for the next worker", async () => {
  const broker = newBroker();
  const ran: number[] = [];
  const work = actor(function work(x: number) {
    ran.push(x);
  }, { broker });
  const first = await startWorker(broker, { prefetch: 10 });
  first.pause();
  for (const x of [1, 2, 3]) await work.send(x);
  await sleep(50);
  await first.stop({ timeout: 1000 });
  expect(ran).toEqual([]);

  await startWorker(broker);
  await broker.join(work.queueName, { timeout: 5000 });
  expect(ran.sort()).toEqual([1, 2, 3]);
});

test("stop() puts parked delayed messages back on the delay queue", async () => {
  const broker = newBroker();
  const parked: string[] = [];
  class ParkWatcher extends Middleware {
    override beforeDelayMessage(_broker: Broker, message: MessageProxy): void {
      parked.push(message.messageId);
    }
  }
  broker.addMiddleware(new ParkWatcher());
  const ran: string[] = [];
  const work = actor(function work() {
    ran.push("work");
  }, { broker });
  const first = await startWorker(broker);

  const sent = await work.sendWithOptions({ delay: 300 });
  expect(sent.queueName).toBe("default.DQ");
  while (parked.length === 0) await sleep(5);
  await first.stop({ timeout: 1000 });
  expect(ran).toEqual([]);

  await startWorker(broker);
  await broker.join(work.queueName, { timeout: 5000 });
  expect(ran).toEqual(["work"]);
  expect(parked).toEqual([sent.messageId, sent.messageId]);
});

test("worker.join() resolves once nothing is waiting, running or parked", async () => {
  const broker = newBroker();
  let done = 0;
  const work = actor(async function work() {
    await sleep(20);
    done++;
  }, { broker });
  const worker = await startWorker(broker);

  await work.send();
  await work.sendWithOptions({ delay: 60 });
  await broker.join(work.queueName, { timeout: 5000 });
  await worker.join();
  expect(done).toBe(2);
});

test("worker options are validated", () => {
  const broker = newBroker();
  expect(() => new Worker(broker, { concurrency: 0 })).toThrow(ConfigurationError);
  expect(() => new Worker(broker, { prefetch: 1.5 })).toThrow(ConfigurationError);
  expect(() => new Worker(broker, { timeout: -1 })).toThrow(ConfigurationError);
});
