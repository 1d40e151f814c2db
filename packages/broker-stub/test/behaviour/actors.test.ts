/**
 * Dramatiq tests/test_actors.py, spec 17.1 items 1–12, on the real Worker over StubBroker.
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  ActorDefinitionError,
  ActorNotFound,
  AgeLimit,
  ArgumentError,
  type Broker,
  CurrentMessage,
  defaultMiddleware,
  Message,
  type MessageProxy,
  Middleware,
  SkipMessage,
  actor,
} from "@q/core";
import { capturingBroker, newBroker, startWorker, stopStartedWorkers } from "./harness";

afterEach(stopStartedWorkers);

describe("actor declaration", () => {
  // 1. test_actors_cannot_be_assigned_arbitrary_options
  test("actors cannot be assigned arbitrary options", () => {
    const broker = newBroker();
    expect(() => actor(function work() {}, { broker, invalidOption: 32 })).toThrow(ActorDefinitionError);
    expect(() => actor(function work() {}, { broker, invalidOption: 32 })).toThrow(/unknown option\(s\) invalidOption/);
    // Nothing was registered by the failed declarations.
    expect(broker.getDeclaredActors()).toEqual([]);
  });

  test("messages cannot carry arbitrary options either", () => {
    const broker = newBroker();
    const work = actor(function work() {}, { broker });
    expect(() => work.messageWithOptions({ invalidOption: 1 })).toThrow(ArgumentError);
  });

  test("actor options are validated by the middleware that owns them", () => {
    const broker = newBroker();
    expect(() => actor(function a() {}, { broker, maxRetries: -1 })).toThrow(ActorDefinitionError);
    expect(() => actor(function b() {}, { broker, timeLimit: 0 })).toThrow(ActorDefinitionError);
    expect(() => actor(function c() {}, { broker, maxAge: -5 })).toThrow(ActorDefinitionError);
  });

  // 2. test_actors_fail_given_invalid_queue_names
  test.each(["$2@!", "foo bar", "1abc", "", "a/b", "é"])("actors fail given the invalid queue name %j", (queueName) => {
    const broker = newBroker();
    expect(() => actor(function work() {}, { broker, queueName })).toThrow(ActorDefinitionError);
  });

  test.each(["default", "a.b-c_d", "_private", "Q1"])("actors accept the valid queue name %j", (queueName) => {
    const broker = newBroker();
    const work = actor(function work() {}, { broker, queueName });
    expect(work.queueName).toBe(queueName);
    expect(broker.getDeclaredQueues()).toContain(queueName);
    expect(broker.getDeclaredDelayQueues()).toContain(`${queueName}.DQ`);
  });

  // 3. test_decorator_raises_error_on_duplicate_name
  test("declaring two actors with the same name raises", () => {
    const broker = newBroker();
    actor(function work() {}, { broker });
    expect(() => actor(function other() {}, { broker, actorName: "work" })).toThrow(
      new ActorDefinitionError("An actor named work is already registered."),
    );
  });
});

describe("actors processing messages", () => {
  // 4. test_actors_can_be_sent_messages
  test("actors can be sent messages", async () => {
    const broker = newBroker();
    const database: Record<string, string> = {};
    const put = actor(function put(key: string, value: string) {
      database[key] = value;
    }, { broker });
    await startWorker(broker);

    const enqueued = [await put.send("a", "1"), await put.send("b", "2")];
    await broker.join(put.queueName, { timeout: 5000 });

    expect(database).toEqual({ a: "1", b: "2" });
    expect(enqueued.map((m) => m.actorName)).toEqual(["put", "put"]);
    expect(broker.deadLetters).toEqual([]);
  });

  test("calling an actor runs it inline", () => {
    const broker = newBroker();
    const add = actor(function add(a: number, b: number) {
      return a + b;
    }, { broker });
    expect(add(1, 2)).toBe(3);
  });

  // 5. test_actors_can_be_assigned_message_age_limits
  test("actors can be assigned message age limits", async () => {
    const broker = newBroker();
    let runs = 0;
    const work = actor(function work() {
      runs++;
    }, { broker, maxAge: 50 });
    await startWorker(broker);

    // Delayed past its age limit, the message is skipped and dead-lettered when it comes due.
    await work.sendWithOptions({ delay: 150 });
    await expect(broker.join(work.queueName, { timeout: 5000 })).rejects.toBeInstanceOf(SkipMessage);

    expect(runs).toBe(0);
    expect(broker.deadLetters).toHaveLength(1);
    expect(broker.deadLetters[0]!.exception).toEqual(new SkipMessage("Message age limit exceeded"));
  });

  test("a message-level max age overrides the actor's", async () => {
    const broker = newBroker();
    let runs = 0;
    const work = actor(function work() {
      runs++;
    }, { broker, maxAge: 50 });
    await startWorker(broker);

    await work.sendWithOptions({ delay: 150, maxAge: 60_000 });
    await broker.join(work.queueName, { timeout: 5000 });
    expect(runs).toBe(1);
  });

  // 6. test_actors_can_delay_messages_independent_of_each_other
  test("actors can delay messages independently of each other", async () => {
    const broker = newBroker();
    const results: number[] = [];
    const append = actor(function append(x: number) {
      results.push(x);
    }, { broker });
    await startWorker(broker, { concurrency: 1 });

    await append.sendWithOptions({ args: [1], delay: 300 });
    await append.sendWithOptions({ args: [2], delay: 100 });
    await broker.join(append.queueName, { timeout: 5000 });

    expect(results).toEqual([2, 1]);
  });

  // 7. test_messages_belonging_to_missing_actors_are_rejected
  test("messages belonging to missing actors are dead-lettered", async () => {
    const broker = newBroker();
    broker.declareQueue("some-queue");
    await startWorker(broker);

    const message = new Message({ queueName: "some-queue", actorName: "some-actor", args: [1] });
    await broker.enqueue(message);
    await expect(broker.join("some-queue", { timeout: 5000 })).rejects.toBeInstanceOf(ActorNotFound);

    expect(broker.deadLetters.map((m) => m.message)).toEqual([message]);
    expect(broker.deadLettersByQueue.get("some-queue")).toHaveLength(1);
  });

  // 8. test_before_and_after_signal_failures_are_ignored
  test("failures in before and after hooks are logged and ignored", async () => {
    const { broker, logs } = capturingBroker("debug");
    class BrokenMiddleware extends Middleware {
      override beforeProcessMessage(): void {
        throw new Error("before process message error");
      }
      override afterProcessMessage(): void {
        throw new Error("after process message error");
      }
    }
    broker.addMiddleware(new BrokenMiddleware());
    const database: number[] = [];
    const append = actor(function append(x: number) {
      database.push(x);
    }, { broker });
    await startWorker(broker);

    await append.send(1);
    await broker.join(append.queueName, { timeout: 5000 });

    expect(database).toEqual([1]);
    expect(broker.deadLetters).toEqual([]);
    const fatal = logs.filter((l) => l.level === 60).map((l) => l.msg);
    expect(fatal).toEqual([
      "Unexpected failure in beforeProcessMessage of BrokenMiddleware.",
      "Unexpected failure in afterProcessMessage of BrokenMiddleware.",
    ]);
  });

  // 9. test_middleware_can_decide_to_skip_messages
  test("middleware can decide to skip messages", async () => {
    const broker = newBroker();
    const skipped: string[] = [];
    const processed: string[] = [];
    class SkipMiddleware extends Middleware {
      override beforeProcessMessage(): void {
        throw new SkipMessage("skipping");
      }
      override afterSkipMessage(_broker: Broker, message: MessageProxy): void {
        skipped.push(message.messageId);
      }
      override afterProcessMessage(_broker: Broker, message: MessageProxy): void {
        processed.push(message.messageId);
      }
    }
    broker.addMiddleware(new SkipMiddleware());
    let runs = 0;
    const work = actor(function work() {
      runs++;
    }, { broker });
    await startWorker(broker);

    const message = await work.send();
    await broker.join(work.queueName, { timeout: 5000 });

    expect(runs).toBe(0);
    expect(skipped).toEqual([message.messageId]);
    expect(processed).toEqual([]);
    // Not marked failed: the skipped message is acked, not dead-lettered.
    expect(broker.deadLetters).toEqual([]);
  });

  test("a skipped message that middleware marked failed is dead-lettered with the SkipMessage", async () => {
    const broker = newBroker();
    class RejectMiddleware extends Middleware {
      override beforeProcessMessage(_broker: Broker, message: MessageProxy): void {
        message.fail();
        throw new SkipMessage("rejected");
      }
    }
    broker.addMiddleware(new RejectMiddleware());
    const work = actor(function work() {}, { broker });
    await startWorker(broker);

    await work.send();
    await expect(broker.join(work.queueName, { timeout: 5000 })).rejects.toEqual(new SkipMessage("rejected"));
  });

  // 10. test_actors_can_prioritize_work
  test("actors can prioritize work", async () => {
    const broker = newBroker();
    const calls: string[] = [];
    const worker = await startWorker(broker, { concurrency: 1 });
    worker.pause();

    const hi = actor(function hi() {
      calls.push("hi");
    }, { broker, priority: 0 });
    const lo = actor(function lo() {
      calls.push("lo");
    }, { broker, priority: 10 });

    await lo.send();
    await hi.send();
    // Let the paused worker prefetch both (fetching goes on while paused).
    await sleep(50);
    worker.resume();
    await broker.join(lo.queueName, { timeout: 5000 });
    await worker.join();

    expect(calls).toEqual(["hi", "lo"]);
  });

  // 11. test_worker_handles_non_numeric_eta_and_logs_warning
  test("a non-numeric eta is treated as due now, with a warning", async () => {
    const { broker, logs } = capturingBroker("debug");
    const calls: number[] = [];
    const work = actor(function work(x: number) {
      calls.push(x);
    }, { broker });
    await startWorker(broker);

    const message = new Message({ queueName: work.queueName, actorName: "work", args: [1], options: { eta: "not-a-number" } });
    await broker.enqueue(message);
    await broker.join(work.queueName, { timeout: 5000 });

    expect(calls).toEqual([1]);
    const warnings = logs.filter((l) => l.level === 40 && l.msg.startsWith("Invalid eta value"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('"not-a-number"');
  });

  // 12. test_worker_handles_none_eta
  test("a null eta is dropped and the message runs", async () => {
    const broker = newBroker();
    const seen: Record<string, unknown>[] = [];
    actor(function work() {
      seen.push({ ...CurrentMessage.getCurrentMessage()!.options });
    }, { broker });
    await startWorker(broker);

    await broker.enqueue(new Message({ queueName: "default", actorName: "work", options: { eta: null } }));
    await broker.join("default", { timeout: 5000 });

    expect(seen).toEqual([{}]);
  });
});

describe("CurrentMessage", () => {
  test("actors see the message they are running; nothing is current outside", async () => {
    const broker = newBroker();
    const seen: string[] = [];
    const work = actor(async function work() {
      await sleep(1);
      seen.push(CurrentMessage.getCurrentMessage()!.messageId);
    }, { broker });
    await startWorker(broker);

    const sent = [await work.send(), await work.send()];
    await broker.join(work.queueName, { timeout: 5000 });

    expect(seen.sort()).toEqual(sent.map((m) => m.messageId).sort());
    expect(CurrentMessage.getCurrentMessage()).toBeUndefined();
  });
});

describe("queues", () => {
  test("enqueueing to an undeclared queue raises QueueNotFound", async () => {
    const broker = newBroker();
    await expect(broker.enqueue(new Message({ queueName: "nope", actorName: "x" }))).rejects.toMatchObject({ name: "QueueNotFound" });
  });

  test("the AgeLimit middleware is part of the defaults", () => {
    expect(newBroker().middleware.some((m) => m instanceof AgeLimit)).toBe(true);
  });
});

test("without the CurrentMessage middleware an actor runs outside any message context", async () => {
  const broker = newBroker({ middleware: defaultMiddleware() });
  const seen: unknown[] = [];
  const peek = actor(function peek() {
    seen.push(CurrentMessage.getCurrentMessage());
  }, { broker });
  await startWorker(broker);
  await peek.send();
  await broker.join(peek.queueName, { timeout: 5000 });
  expect(seen).toEqual([undefined]);
});
