/**
 * Dramatiq tests/middleware/test_time_limit.py, spec 17.1 item 35, the Node way: at its time
 * limit the actor's AbortSignal aborts with TimeLimitExceeded and the worker fails the message
 * at that moment, whether or not the actor honours the signal.
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  type Broker,
  CurrentMessage,
  type MessageData,
  type MessageProxy,
  Middleware,
  type ProcessOutcome,
  TimeLimitExceeded,
  actor,
} from "@q/core";
import { capturingBroker, deferred, newBroker, startWorker, stopStartedWorkers } from "./harness";

const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const timer of timers.splice(0)) clearTimeout(timer);
  await stopStartedWorkers();
});

/** A promise that settles after `ms` (its timer is cleared after each test). */
function later<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => timers.push(setTimeout(() => resolve(value), ms)));
}

/** Records when and how messages finished, and how they were settled. */
class Outcomes extends Middleware {
  readonly processed: { at: number; outcome: ProcessOutcome }[] = [];
  readonly settled: string[] = [];
  override afterProcessMessage(_broker: Broker, _message: MessageProxy, outcome: ProcessOutcome): void {
    this.processed.push({ at: Date.now(), outcome });
  }
  override afterAck(_broker: Broker, message: MessageProxy): void {
    this.settled.push(`ack:${message.actorName}`);
  }
  override afterNack(_broker: Broker, message: MessageProxy): void {
    this.settled.push(`nack:${message.actorName}`);
  }
}

// 35. test_time_limits_are_handled
test("at its time limit an actor's signal aborts with TimeLimitExceeded", async () => {
  const broker = newBroker();
  const reasons: unknown[] = [];
  const work = actor(async function work() {
    const { signal } = CurrentMessage.getCurrentMessage()!;
    await new Promise<void>((_resolve, reject) => {
      signal.addEventListener("abort", () => {
        reasons.push(signal.reason);
        reject(signal.reason as Error);
      });
    });
  }, { broker, timeLimit: 50, maxRetries: 0 });
  await startWorker(broker);

  await work.send();
  await expect(broker.join(work.queueName, { timeout: 5000 })).rejects.toBeInstanceOf(TimeLimitExceeded);

  expect(reasons).toHaveLength(1);
  expect(reasons[0]).toBeInstanceOf(TimeLimitExceeded);
  expect(broker.deadLetters[0]!.exception).toBe(reasons[0]);
});

test("the message fails at its time limit even if the actor ignores the signal; the late result is discarded", async () => {
  const broker = newBroker();
  const outcomes = new Outcomes();
  broker.addMiddleware(outcomes);
  const successes: unknown[] = [];
  const onOk = actor(function onOk(_m: MessageData, result: unknown) {
    successes.push(result);
  }, { broker });
  const release = deferred<string>();
  let startedAt = 0;
  let finished = false;
  const slow = actor(async function slow() {
    startedAt = Date.now();
    const result = await Promise.race([later(5000, "after 5 s"), release.promise]);
    finished = true;
    return result;
  }, { broker, timeLimit: 100, maxRetries: 0, onSuccess: onOk });
  await startWorker(broker);

  await slow.send();
  await expect(broker.join(slow.queueName, { timeout: 5000 })).rejects.toBeInstanceOf(TimeLimitExceeded);

  expect(finished).toBe(false);
  expect(outcomes.processed).toHaveLength(1);
  expect(outcomes.processed[0]!.outcome.exception).toBeInstanceOf(TimeLimitExceeded);
  const failedAfter = outcomes.processed[0]!.at - startedAt;
  expect(failedAfter).toBeGreaterThanOrEqual(95);
  expect(failedAfter).toBeLessThan(1000); // at the limit, not when the actor's 5 s promise settles
  expect(outcomes.settled).toEqual(["nack:slow"]);

  // The actor now finishes: nothing more happens to its message.
  release.resolve("late");
  await sleep(50);
  await broker.join(slow.queueName, { timeout: 5000, failFast: false });
  expect(finished).toBe(true);
  expect(successes).toEqual([]);
  expect(outcomes.processed).toHaveLength(1);
  expect(outcomes.settled).toEqual(["nack:slow"]);
});

test("a time-limited message is retried like any failure", async () => {
  const broker = newBroker();
  let attempts = 0;
  const work = actor(async function work() {
    if (++attempts === 1) await later(5000, null);
    return undefined;
  }, { broker, timeLimit: 50, minBackoff: 10, maxBackoff: 100 });
  await startWorker(broker);

  await work.send();
  await broker.join(work.queueName, { timeout: 5000 });
  expect(attempts).toBe(2);
  expect(broker.deadLetters).toEqual([]);
});

test("a message-level time limit overrides the actor's; null means none", async () => {
  const broker = newBroker();
  const work = actor(async function work(ms: number) {
    await sleep(ms);
  }, { broker, timeLimit: 10_000, maxRetries: 0 });
  await startWorker(broker);

  await work.sendWithOptions({ args: [300], timeLimit: 50 });
  await expect(broker.join(work.queueName, { timeout: 5000 })).rejects.toBeInstanceOf(TimeLimitExceeded);

  await broker.flushAll();
  await work.sendWithOptions({ args: [100], timeLimit: null });
  await broker.join(work.queueName, { timeout: 5000 });
});

test("the signal of a message that finishes in time never aborts", async () => {
  const broker = newBroker();
  const signals: AbortSignal[] = [];
  const work = actor(async function work() {
    signals.push(CurrentMessage.getCurrentMessage()!.signal);
    await sleep(5);
  }, { broker, timeLimit: 60 });
  await startWorker(broker);

  await work.send();
  await broker.join(work.queueName, { timeout: 5000 });
  await sleep(100);
  expect(signals).toHaveLength(1);
  expect(signals[0]!.aborted).toBe(false);
});

test("exceeding the time limit is logged as a warning, then as a failure", async () => {
  const { broker, logs } = capturingBroker();
  const work = actor(async function work() {
    await later(5000, null);
  }, { broker, timeLimit: 50, maxRetries: 0 });
  await startWorker(broker);

  const sent = await work.send();
  await broker.join(work.queueName, { timeout: 5000, failFast: false });

  expect(logs.filter((l) => l.level === 40).map((l) => l.msg)).toEqual(
    expect.arrayContaining([expect.stringMatching(new RegExp(`^Time limit exceeded\\. .*${sent.messageId}`))]),
  );
  expect(logs.filter((l) => l.level === 50).map((l) => l.msg)).toEqual(["Failed to process message work() with unhandled exception."]);
});
