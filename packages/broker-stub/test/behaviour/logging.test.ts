/**
 * Dramatiq's log lines (spec 4, 5), written through an injected pino logger.
 * Dramatiq's CRITICAL is pino's fatal (60); ERROR 50, WARNING 40, INFO 30.
 */
import { Message, Middleware, SkipMessage, actor } from "@q/core";
import pino from "pino";
import { StubBroker } from "../../src";
import { type LogLine, capturingBroker, startWorker, stopStartedWorkers } from "./harness";

const FATAL = 60;
const ERROR = 50;
const WARN = 40;
const INFO = 30;

afterEach(stopStartedWorkers);

test("a failure is logged with its stack, then each retry, then the final give-up", async () => {
  const { broker, find } = capturingBroker();
  const add = actor(function add(_a: number, _b: number): number {
    throw new Error("boom");
  }, { broker, maxRetries: 1, minBackoff: 10, maxBackoff: 100 });
  await startWorker(broker);

  const sent = await add.send(1, 2);
  await broker.join(add.queueName, { timeout: 5000, failFast: false });

  const failures = find(ERROR, "Failed to process message");
  expect(failures.map((l) => l.msg)).toEqual([
    "Failed to process message add(1, 2) with unhandled exception.",
    "Failed to process message add(1, 2) with unhandled exception.",
  ]);
  expect(failures[0]!.err).toMatchObject({ type: "Error", message: "boom" });
  expect(failures[0]!.err!.stack).toMatch(/^Error: boom\n\s+at /);

  const retrying = find(INFO, "Retrying message");
  expect(retrying).toHaveLength(1);
  const [, id, ms] = /^Retrying message '(.+)' in (\d+) milliseconds\.$/.exec(retrying[0]!.msg)!;
  expect(id).toBe(sent.messageId);
  expect(Number(ms)).toBeGreaterThanOrEqual(10);
  expect(Number(ms)).toBeLessThanOrEqual(20);

  expect(find(WARN, "Retries exceeded for message").map((l) => l.msg)).toEqual([`Retries exceeded for message '${sent.messageId}'.`]);
});

test("a message for an undefined actor is logged, with its id and queue, as it is dead-lettered", async () => {
  const { broker, find } = capturingBroker();
  broker.declareQueue("default");
  await startWorker(broker);

  const sent = await broker.enqueue(new Message({ queueName: "default", actorName: "ghost" }));
  await broker.join("default", { timeout: 5000, failFast: false });

  const lines = find(ERROR, "for undefined actor");
  expect(lines.map((l) => l.msg)).toEqual([`Received message ${sent.messageId} on default for undefined actor 'ghost'. Moving it to the DLQ.`]);
  expect(broker.deadLetters.map((m) => m.messageId)).toEqual([sent.messageId]);
});

test("an invalid eta is logged as a warning", async () => {
  const { broker, find } = capturingBroker();
  actor(function work() {}, { broker });
  await startWorker(broker);

  await broker.enqueue(new Message({ queueName: "default", actorName: "work", options: { eta: "soon" } }));
  await broker.join("default", { timeout: 5000 });

  expect(find(WARN, "Invalid eta value")).toHaveLength(1);
});

test("a skipped message is logged as a warning", async () => {
  const { broker, find } = capturingBroker();
  class Skipper extends Middleware {
    override beforeProcessMessage(): void {
      throw new SkipMessage("not today");
    }
  }
  broker.addMiddleware(new Skipper());
  const add = actor(function add(a: number, b: number) {
    return a + b;
  }, { broker });
  await startWorker(broker);

  await add.send(1, 2);
  await broker.join("default", { timeout: 5000 });

  expect(find(WARN, "was skipped").map((l) => l.msg)).toEqual(["Message add(1, 2) was skipped."]);
});

test("an age-limited message is logged as exceeding its age limit, then skipped", async () => {
  const { broker, find } = capturingBroker();
  const work = actor(function work() {}, { broker, maxAge: 10 });
  await startWorker(broker);

  const sent = await work.sendWithOptions({ delay: 30 });
  await broker.join("default", { timeout: 5000, failFast: false });

  expect(find(WARN, "has exceeded its age limit")).toHaveLength(1);
  expect(find(WARN, "has exceeded its age limit")[0]!.msg).toContain(sent.messageId);
  expect(find(WARN, "was skipped").map((l) => l.msg)).toEqual(["Message work() was skipped."]);
});

test("stopping a worker logs Shutting down... and Worker has been shut down.", async () => {
  const { broker, logs } = capturingBroker();
  actor(function work() {}, { broker });
  const worker = await startWorker(broker);
  await worker.stop({ timeout: 1000 });

  const info = logs.filter((l) => l.level === INFO).map((l) => l.msg);
  expect(info).toEqual(expect.arrayContaining(["Shutting down...", "Worker has been shut down."]));
  expect(info.indexOf("Shutting down...")).toBeLessThan(info.indexOf("Worker has been shut down."));
});

test("a plain Error thrown by a before hook is logged at fatal (CRITICAL) and ignored", async () => {
  const { broker, find } = capturingBroker();
  class Broken extends Middleware {
    override beforeProcessMessage(): void {
      throw new Error("hook bug");
    }
  }
  broker.addMiddleware(new Broken());
  const done: number[] = [];
  const work = actor(function work() {
    done.push(1);
  }, { broker });
  await startWorker(broker);

  await work.send();
  await broker.join("default", { timeout: 5000 });

  const fatal = find(FATAL, "Unexpected failure");
  expect(fatal.map((l) => l.msg)).toEqual(["Unexpected failure in beforeProcessMessage of Broken."]);
  expect(fatal[0]!.err).toMatchObject({ message: "hook bug" });
  expect(done).toEqual([1]);
});

test("expected errors log at INFO, Retry is not logged", async () => {
  const { broker, logs } = capturingBroker();
  class Declined extends Error {
    override name = "Declined";
  }
  const charge = actor(function charge(_cents: number) {
    throw new Declined("no");
  }, { broker, throws: Declined });
  await startWorker(broker);

  await charge.send(5);
  await broker.join("default", { timeout: 5000, failFast: false });

  expect(logs.filter((l) => l.level >= ERROR)).toEqual([]);
  expect(logs.filter((l) => l.level === INFO).map((l) => l.msg)).toContain("Failed to process message charge(5) with expected exception Declined.");
});

test("a returned value nobody stores is reported as discarded", async () => {
  const { broker, find } = capturingBroker();
  const add = actor(function add(a: number, b: number) {
    return a + b;
  }, { broker });
  await startWorker(broker);

  await add.send(1, 2);
  await broker.join("default", { timeout: 5000 });
  expect(find(WARN, "The value has been discarded.")).toHaveLength(1);
});

test("log lines carry Dramatiq-like logger names", async () => {
  const { broker, logs } = capturingBroker();
  const work = actor(function work() {
    throw new Error("x");
  }, { broker, maxRetries: 0 });
  await startWorker(broker);
  await work.send();
  await broker.join("default", { timeout: 5000, failFast: false });

  const names = new Set(logs.map((l) => l.name));
  expect(names).toContain("q.worker.Worker");
  expect(names).toContain("q.middleware.retries.Retries");
});

test("every log line names its component once", async () => {
  const raw: string[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void raw.push(line) });
  const broker = new StubBroker({ logger });
  const add = actor(function add(a: number, b: number) {
    return a + b;
  }, { broker, onSuccess: "sink" });
  actor(function sink(_m: unknown, _r: unknown) {}, { broker });
  const worker = await startWorker(broker);
  await add.send(1, 2);
  await broker.join(add.queueName, { timeout: 5000 });
  await worker.stop({ timeout: 1000 });
  expect(raw.length).toBeGreaterThan(3);
  for (const line of raw) expect(line.match(/"name":/g)).toHaveLength(1);
  const names = raw.map((l) => (JSON.parse(l) as LogLine).name);
  expect(names).toEqual(expect.arrayContaining(["q.worker.Worker", "default.add"]));
});

test("a result taken by an onSuccess callback is not reported as discarded", async () => {
  const { broker, find } = capturingBroker();
  const add = actor(function add(a: number, b: number) {
    return a + b;
  }, { broker });
  actor(function sink(_m: unknown, _r: unknown) {}, { broker });
  await startWorker(broker);
  await add.sendWithOptions({ args: [1, 2], onSuccess: "sink" });
  await broker.join(add.queueName, { timeout: 5000 });
  expect(find(WARN, "discarded")).toEqual([]);
  await add.send(3, 4);
  await broker.join(add.queueName, { timeout: 5000 });
  expect(find(WARN, "discarded")).toHaveLength(1);
});
