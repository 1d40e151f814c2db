/**
 * Dramatiq tests/middleware/test_retries.py, spec 17.1 items 30–34.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type Broker, type Message, type MessageData, Middleware, MiddlewareError, Retries, Retry, actor } from "@q/core";
import { EnqueueRecorder, capturingBroker, newBroker, startWorker, stopStartedWorkers } from "./harness";

afterEach(stopStartedWorkers);

const fast = { minBackoff: 10, maxBackoff: 100 };

// 30. test_actors_retry_a_max_number_of_times_on_failure
test("actors retry a max number of times on failure", async () => {
  const broker = newBroker();
  let attempts = 0;
  const work = actor(function work() {
    attempts++;
    throw new Error("failure");
  }, { broker, maxRetries: 3, ...fast });
  await startWorker(broker);

  const sent = await work.send();
  await expect(broker.join(work.queueName, { timeout: 5000 })).rejects.toThrow("failure");

  expect(attempts).toBe(4);
  expect(broker.deadLetters).toHaveLength(1);
  const dead = broker.deadLetters[0]!;
  // The same logical message throughout; the dead letter is the delivery as received.
  expect(dead.messageId).toBe(sent.messageId);
  expect(dead.message.options.retries).toBe(3);
  expect(dead.options.retries).toBe(4);
  expect(dead.options.traceback).toEqual(expect.stringContaining("Error: failure"));
  expect(dead.options.requeue_timestamp).toEqual(expect.any(Number));
});

test("retries keep the message id and go through the delay queue with a backoff in bounds", async () => {
  const broker = newBroker();
  const recorder = new EnqueueRecorder();
  broker.addMiddleware(recorder);
  let attempts = 0;
  const work = actor(function work() {
    if (++attempts < 3) throw new Error("again");
  }, { broker, minBackoff: 10, maxBackoff: 1000 });
  await startWorker(broker);

  const sent = await work.send();
  await broker.join(work.queueName, { timeout: 5000 });

  expect(attempts).toBe(3);
  const retries = recorder.enqueued.filter((e) => e.message.queueName === "default.DQ");
  expect(retries.map((e) => e.message.messageId)).toEqual([sent.messageId, sent.messageId]);
  expect(retries.map((e) => e.message.options.retries)).toEqual([1, 2]);
  // Backoff n: minBackoff × 2^n × U(1, 2).
  expect(retries[0]!.delay).toBeGreaterThanOrEqual(10);
  expect(retries[0]!.delay).toBeLessThanOrEqual(20);
  expect(retries[1]!.delay).toBeGreaterThanOrEqual(20);
  expect(retries[1]!.delay).toBeLessThanOrEqual(40);
  for (const { message } of retries) expect(message.options.eta).toEqual(expect.any(Number));
});

test("a message-level maxRetries overrides the actor's", async () => {
  const broker = newBroker();
  let attempts = 0;
  const work = actor(function work() {
    attempts++;
    throw new Error("failure");
  }, { broker, maxRetries: 5, ...fast });
  await startWorker(broker);

  await work.sendWithOptions({ maxRetries: 1 });
  await broker.join(work.queueName, { timeout: 5000, failFast: false });
  expect(attempts).toBe(2);
});

test("the Retries constructor sets the defaults", async () => {
  const broker = newBroker({ middleware: [new Retries({ maxRetries: 2, minBackoff: 10, maxBackoff: 100 })] });
  let attempts = 0;
  const work = actor(function work() {
    attempts++;
    throw new Error("failure");
  }, { broker });
  await startWorker(broker);

  await work.send();
  await broker.join(work.queueName, { timeout: 5000, failFast: false });
  expect(attempts).toBe(3);
});

test("an actor-level minBackoff of 0 is honoured", async () => {
  const broker = newBroker();
  const recorder = new EnqueueRecorder();
  broker.addMiddleware(recorder);
  let attempts = 0;
  const work = actor(function work() {
    if (++attempts < 3) throw new Error("again");
  }, { broker, minBackoff: 0, maxBackoff: 0 });
  await startWorker(broker);

  await work.send();
  await broker.join(work.queueName, { timeout: 5000 });
  expect(recorder.enqueued.filter((e) => e.message.queueName === "default.DQ").map((e) => e.delay)).toEqual([0, 0]);
});

// 31. test_retry_exceptions_can_specify_a_delay
test("Retry exceptions can specify a delay, and are not logged as errors", async () => {
  const { broker, logs } = capturingBroker("debug");
  const recorder = new EnqueueRecorder();
  broker.addMiddleware(recorder);
  const timestamps: number[] = [];
  const work = actor(function work() {
    timestamps.push(Date.now());
    if (timestamps.length === 1) throw new Retry("", { delay: 150 });
  }, { broker, maxRetries: 1 });
  await startWorker(broker);

  await work.send();
  await broker.join(work.queueName, { timeout: 5000 });

  expect(timestamps).toHaveLength(2);
  expect(timestamps[1]! - timestamps[0]!).toBeGreaterThanOrEqual(145);
  expect(recorder.enqueued.filter((e) => e.message.queueName === "default.DQ").map((e) => e.delay)).toEqual([150]);
  expect(logs.filter((l) => l.level >= 50)).toEqual([]);
  expect(logs.some((l) => l.msg.startsWith("Failed to process message"))).toBe(false);
});

test("a Retry without a delay uses the backoff, and counts towards maxRetries", async () => {
  const broker = newBroker();
  let attempts = 0;
  const work = actor(function work() {
    attempts++;
    throw new Retry("busy");
  }, { broker, maxRetries: 2, ...fast });
  await startWorker(broker);

  await work.send();
  await expect(broker.join(work.queueName, { timeout: 5000 })).rejects.toBeInstanceOf(Retry);
  expect(attempts).toBe(3);
});

// 32. test_actors_can_conditionally_retry
test("actors can conditionally retry", async () => {
  const broker = newBroker();
  class RuntimeError extends Error {
    override name = "RuntimeError";
  }
  class ValueError extends Error {
    override name = "ValueError";
  }
  const calls: [number, string][] = [];
  let attempts = 0;
  const raisesErrors = actor(function raisesErrors(raiseRuntimeError: boolean) {
    attempts++;
    if (raiseRuntimeError) throw new RuntimeError("Runtime error");
    throw new ValueError("Value error");
  }, {
    broker,
    ...fast,
    retryWhen: (retries: number, error: unknown) => {
      calls.push([retries, (error as Error).name]);
      return retries < 3 && error instanceof RuntimeError;
    },
  });
  await startWorker(broker);

  await raisesErrors.send(true);
  await broker.join(raisesErrors.queueName, { timeout: 5000, failFast: false });
  expect(attempts).toBe(4);
  expect(calls).toEqual([0, 1, 2, 3].map((n) => [n, "RuntimeError"]));

  attempts = 0;
  await raisesErrors.send(false);
  await broker.join(raisesErrors.queueName, { timeout: 5000, failFast: false });
  expect(attempts).toBe(1);
});

test("retryWhen cannot travel in a message", () => {
  const broker = newBroker();
  const work = actor(function work() {}, { broker });
  expect(() => work.messageWithOptions({ retryWhen: () => true })).toThrow(/cannot travel in a message/);
});

// 33. test_actor_with_throws_logs_info_and_does_not_retry
test("an actor's expected errors (throws) are logged at INFO and not retried", async () => {
  const { broker, logs } = capturingBroker("debug");
  class MyError extends Error {
    override name = "MyError";
  }
  let attempts = 0;
  const work = actor(function work() {
    attempts++;
    throw new MyError("expected");
  }, { broker, throws: [MyError], ...fast });
  await startWorker(broker);

  const sent = await work.send();
  await expect(broker.join(work.queueName, { timeout: 5000 })).rejects.toBeInstanceOf(MyError);

  expect(attempts).toBe(1);
  const info = logs.filter((l) => l.level === 30).map((l) => l.msg);
  expect(info).toContain("Failed to process message work() with expected exception MyError.");
  expect(info).toContain(`Aborting message '${sent.messageId}'.`);
  expect(logs.filter((l) => l.level >= 50)).toEqual([]);
  // Untouched counters: the message was aborted, not retried.
  expect(broker.deadLetters[0]!.options.retries).toBeUndefined();
});

test("errors outside throws are still retried", async () => {
  const broker = newBroker();
  class MyError extends Error {}
  let attempts = 0;
  const work = actor(function work() {
    attempts++;
    throw new Error("unexpected");
  }, { broker, throws: MyError, maxRetries: 1, ...fast });
  await startWorker(broker);

  await work.send();
  await broker.join(work.queueName, { timeout: 5000, failFast: false });
  expect(attempts).toBe(2);
});

// 34. test_on_retry_exhausted_is_sent
test("onRetryExhausted is sent the message and retry info when retries run out", async () => {
  const broker = newBroker();
  const exhausted: [MessageData, unknown][] = [];
  const handler = actor(function handler(message: MessageData, info: unknown) {
    exhausted.push([message, info]);
  }, { broker });
  let attempts = 0;
  const work = actor(function work(_x: number) {
    attempts++;
    throw new Error("failure");
  }, { broker, maxRetries: 2, onRetryExhausted: handler, ...fast });
  await startWorker(broker);

  const sent = await work.send(7);
  await broker.join(work.queueName, { timeout: 5000, failFast: false });

  expect(attempts).toBe(3);
  expect(exhausted).toHaveLength(1);
  const [message, info] = exhausted[0]!;
  expect(info).toEqual({ retries: 2, max_retries: 2 });
  expect(message).toMatchObject({ actor_name: "work", args: [7], message_id: sent.messageId, options: { retries: 3 } });
});

test("a message-level onRetryExhausted overrides the actor's; none is sent when a retry succeeds", async () => {
  const broker = newBroker();
  const calls: string[] = [];
  const first = actor(function first(_m: MessageData, _i: unknown) {
    calls.push("first");
  }, { broker });
  const second = actor(function second(_m: MessageData, _i: unknown) {
    calls.push("second");
  }, { broker });
  let attempts = 0;
  const work = actor(function work(failures: number) {
    if (attempts++ < failures) throw new Error("failure");
  }, { broker, maxRetries: 1, onRetryExhausted: "first", ...fast });
  await startWorker(broker, { concurrency: 1 });

  await work.sendWithOptions({ args: [5], onRetryExhausted: second });
  await broker.join(work.queueName, { timeout: 5000, failFast: false });
  expect(calls).toEqual(["second"]);

  attempts = 0;
  await work.send(1);
  await broker.join(work.queueName, { timeout: 5000, failFast: false });
  expect(calls).toEqual(["second"]);
  void first;
});

test("maxRetries null retries until it works", async () => {
  const broker = newBroker();
  let attempts = 0;
  const work = actor(function work() {
    if (++attempts < 25) throw new Error("failure");
  }, { broker, maxRetries: null, minBackoff: 0, maxBackoff: 0 });
  await startWorker(broker);

  await work.send();
  await broker.join(work.queueName, { timeout: 10_000 });
  expect(attempts).toBe(25);
});

/** Refuses (MiddlewareError, so the enqueue fails) the enqueues that `refuse` picks. */
class RefuseEnqueue extends Middleware {
  constructor(private readonly refuse: (message: Message, delay: number | undefined) => boolean) {
    super();
  }
  override beforeEnqueue(_broker: Broker, message: Message, delay: number | undefined): void {
    if (this.refuse(message, delay)) throw new MiddlewareError(`refused ${message.messageId}`);
  }
}

test("a retry that cannot be enqueued (not a connection error) dead-letters the message instead of acking it away", async () => {
  const { broker, find } = capturingBroker();
  broker.addMiddleware(new RefuseEnqueue((m) => m.options.retries !== undefined));
  let attempts = 0;
  const work = actor(function work() {
    attempts++;
    throw new Error("failure");
  }, { broker, maxRetries: 3, ...fast });
  await startWorker(broker);

  const sent = await work.send();
  await expect(broker.join(work.queueName, { timeout: 5000 })).rejects.toThrow("failure");
  expect(attempts).toBe(1);
  expect(broker.deadLetters.map((m) => m.messageId)).toEqual([sent.messageId]);
  expect(find(50, `Could not enqueue the retry of message '${sent.messageId}'; moving it to the dead letters instead.`)).toHaveLength(1);
});

test("a delayed message whose move to its queue fails for good is dead-lettered once, not retried every second", async () => {
  const { broker, find } = capturingBroker();
  // The send (with a delay) goes through; the move of the due message (no delay) does not.
  broker.addMiddleware(new RefuseEnqueue((m, delay) => m.args[0] === "refused" && delay === undefined));
  const ran: string[] = [];
  const work = actor(function work(what: string) {
    ran.push(what);
  }, { broker });
  await startWorker(broker);

  const refused = await work.sendWithOptions({ args: ["refused"], delay: 50 });
  await work.sendWithOptions({ args: ["fine"], delay: 50 });
  await broker.join(work.queueName, { timeout: 5000 }).catch(() => undefined);
  await sleep(1500); // a retry loop would log again every second

  expect(ran).toEqual(["fine"]);
  expect(broker.deadLetters.map((m) => m.messageId)).toEqual([refused.messageId]);
  expect(find(50, `Could not move delayed message ${refused.messageId} to default; moving it to the dead letters.`)).toHaveLength(1);
  expect(find(50, `Failed to move delayed message ${refused.messageId}`)).toHaveLength(0);
});
