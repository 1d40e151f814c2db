/**
 * Dramatiq tests/test_stub_broker.py, spec 17.1 items 16–17, plus the rest of the stub's contract (spec 8).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type Broker, BrokerError, ConfigurationError, Message, type MessageProxy, Middleware, QueueJoinTimeout, QueueNotFound, actor } from "@q/core";
import type { StubBroker } from "../../src";
import { newBroker, startWorker, stopStartedWorkers } from "./harness";

afterEach(stopStartedWorkers);

class CustomError extends Error {
  override name = "CustomError";
}

/** Declares `failing`, which always throws CustomError("the actor failed") and is not retried, and starts a worker. */
async function failingActorWithWorker(broker: StubBroker) {
  const failing = actor(function failing() {
    throw new CustomError("the actor failed");
  }, { broker, maxRetries: 0 });
  await startWorker(broker);
  return failing;
}

describe("join", () => {
  // 16. test_stub_broker_join_reraises_actor_exceptions_in_the_joining_current_thread
  test("join re-raises a dead-lettered message's exception in the joining test", async () => {
    const broker = newBroker();
    const failing = await failingActorWithWorker(broker);

    await failing.send();
    const error = await broker.join(failing.queueName, { timeout: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CustomError);
    expect((error as Error).message).toBe("the actor failed");
  });

  test("join raises a BrokerError naming the message when its dead letter has no error", async () => {
    const broker = newBroker();
    // A middleware may fail a message that ran fine (here: every one), which leaves no error.
    class RejectAll extends Middleware {
      override afterProcessMessage(_broker: Broker, message: MessageProxy): void {
        message.fail();
      }
    }
    broker.addMiddleware(new RejectAll());
    let ran = 0;
    const checked = actor(function checked() {
      ran++;
    }, { broker });
    const sent = await checked.send();
    await startWorker(broker);
    const error = await broker.join(checked.queueName, { timeout: 5000 }).catch((e: unknown) => e);
    expect(ran).toBe(1);
    expect(broker.deadLetters.map((m) => [m.messageId, m.exception])).toEqual([[sent.messageId, undefined]]);
    expect(error).toBeInstanceOf(BrokerError);
    expect(error).toMatchObject({
      code: "Q_BROKER_ERROR",
      message: `Message ${sent.messageId} (checked) on default failed with unknown error: it was dead-lettered without one.`,
    });
  });

  test("join({ failFast: false }) does not re-raise", async () => {
    const broker = newBroker();
    const failing = await failingActorWithWorker(broker);

    await failing.send();
    await broker.join(failing.queueName, { timeout: 5000, failFast: false });
    expect(broker.deadLetters).toHaveLength(1);
  });

  test("a broker made with failFastDefault: false does not re-raise unless asked", async () => {
    const broker = newBroker({ failFastDefault: false });
    const failing = await failingActorWithWorker(broker);

    await failing.send();
    await broker.join(failing.queueName, { timeout: 5000 });
    await expect(broker.join(failing.queueName, { failFast: true })).rejects.toBeInstanceOf(CustomError);
  });

  test("join re-raises only while dead letters are kept: flushAll clears them", async () => {
    const broker = newBroker();
    const failing = await failingActorWithWorker(broker);

    await failing.send();
    await expect(broker.join("default", { timeout: 5000 })).rejects.toBeInstanceOf(CustomError);
    const list = broker.deadLettersByQueue.get("default")!;
    await broker.flushAll();
    expect(list).toEqual([]);
    expect(broker.deadLetters).toEqual([]);
    await broker.join("default", { timeout: 5000 });
  });

  test("join times out with QueueJoinTimeout", async () => {
    const broker = newBroker();
    const work = actor(function work() {}, { broker });
    await work.send();
    await expect(broker.join(work.queueName, { timeout: 50 })).rejects.toBeInstanceOf(QueueJoinTimeout);
  });

  test("join waits for delayed messages, which move from the delay queue back to the queue", async () => {
    const broker = newBroker();
    let runs = 0;
    const work = actor(function work() {
      runs++;
    }, { broker });
    await startWorker(broker);

    await work.sendWithOptions({ delay: 100 });
    await broker.join(work.queueName, { timeout: 5000 });
    expect(runs).toBe(1);
  });
});

describe("options", () => {
  test("a failFastDefault that is not a boolean is a ConfigurationError", () => {
    for (const value of ["no", 0, "true"]) {
      expect(() => newBroker({ failFastDefault: value as never })).toThrow(
        new ConfigurationError(`StubBroker: failFastDefault must be true or false, got ${JSON.stringify(value)}.`),
      );
      expect(() => newBroker({ failFastDefault: value as never })).toThrow(ConfigurationError);
    }
    expect(newBroker({ failFastDefault: false })).toBeDefined();
  });
});

describe("queues", () => {
  test("enqueue, consume and join of an undeclared queue raise QueueNotFound", async () => {
    const broker = newBroker();
    await expect(broker.enqueue(new Message({ queueName: "missing", actorName: "x" }))).rejects.toBeInstanceOf(QueueNotFound);
    expect(() => broker.consume("missing")).toThrow(QueueNotFound);
    await expect(broker.join("missing")).rejects.toBeInstanceOf(QueueNotFound);
  });

  test("flush drops the queue's and its delay queue's messages", async () => {
    const broker = newBroker();
    const work = actor(function work() {}, { broker });
    await work.send();
    await work.sendWithOptions({ delay: 10_000 });
    await broker.flush(work.queueName);
    await broker.join(work.queueName, { timeout: 100 });
  });

  test("flushAll drops every queue's messages", async () => {
    const broker = newBroker();
    const a = actor(function a() {}, { broker, queueName: "a" });
    const b = actor(function b() {}, { broker, queueName: "b" });
    await a.send();
    await b.sendWithOptions({ delay: 10_000 });
    await broker.flushAll();
    await broker.join("a", { timeout: 100 });
    await broker.join("b", { timeout: 100 });
  });

  test("messages really go through encoding", async () => {
    const broker = newBroker();
    const work = actor(function work(_x: unknown) {}, { broker });
    const sent = await work.send({ nested: [1, "é"] });
    const consumer = broker.consume("default", { timeout: 50 });
    const received = (await consumer.next())!;
    expect(received.raw!.toString()).toContain("\\u00e9");
    expect(received.message).toEqual(sent);
    expect(received.message).not.toBe(sent);
    await consumer.close();
  });

  test("undecodable payloads are kept aside as poison and never reach a worker", async () => {
    const broker = newBroker();
    let runs = 0;
    actor(function work() {
      runs++;
    }, { broker });
    await startWorker(broker);

    broker.enqueueRaw("default", Buffer.from("not json"));
    await broker.join("default", { timeout: 5000 });
    expect(runs).toBe(0);
    expect(broker.poisonMessages).toHaveLength(1);
    expect(broker.poisonMessages[0]!.data.toString()).toBe("not json");
  });
});

describe("prefetch", () => {
  // 17. test_stub_broker_respects_prefetch
  test("a consumer hands out at most `prefetch` messages until some are acked or nacked", async () => {
    const broker = newBroker();
    const work = actor(function work(_x: number) {}, { broker });
    for (const x of [1, 2, 3, 4]) await work.send(x);

    const consumer = broker.consume("default", { prefetch: 2, timeout: 50 });
    const first = (await consumer.next())!;
    const second = (await consumer.next())!;
    expect([first.args, second.args]).toEqual([[1], [2]]);
    expect(await consumer.next()).toBeNull();

    await consumer.ack(first);
    const third = (await consumer.next())!;
    expect(third.args).toEqual([3]);
    expect(await consumer.next()).toBeNull();

    await consumer.nack(second);
    expect((await consumer.next())!.args).toEqual([4]);
    expect(broker.deadLetters).toEqual([second]);
    await consumer.close();
  });

  test("a blocked next() wakes up as soon as a slot frees", async () => {
    const broker = newBroker();
    const work = actor(function work(_x: number) {}, { broker });
    await work.send(1);
    await work.send(2);
    const consumer = broker.consume("default", { prefetch: 1, timeout: 5000 });
    const first = (await consumer.next())!;
    const pending = consumer.next();
    await consumer.ack(first);
    expect((await pending)!.args).toEqual([2]);
    await consumer.close();
  });

  test("closing a consumer puts its outstanding messages back", async () => {
    const broker = newBroker();
    const work = actor(function work(_x: number) {}, { broker });
    await work.send(1);
    const consumer = broker.consume("default", { prefetch: 1, timeout: 50 });
    expect(await consumer.next()).not.toBeNull();
    await consumer.close();

    const again = broker.consume("default", { prefetch: 1, timeout: 50 });
    expect((await again.next())!.args).toEqual([1]);
    await again.close();
  });

  test("a worker never holds more than its prefetch", async () => {
    const broker = newBroker();
    const work = actor(function work(_x: number) {}, { broker });
    const worker = await startWorker(broker, { concurrency: 1, prefetch: 2 });
    worker.pause();
    for (const x of [1, 2, 3, 4, 5]) await work.send(x);
    await sleep(50);

    // The paused worker holds 2; another consumer can still take the other 3.
    const other = broker.consume("default", { prefetch: 10, timeout: 50 });
    const taken: unknown[] = [];
    for (let m = await other.next(); m; m = await other.next()) taken.push(m.args[0]);
    expect(taken).toEqual([3, 4, 5]);
    await other.close();
  });
});
