/**
 * Dramatiq tests/middleware/test_shutdown.py, spec 17.1 item 36, plus graceful stop (spec 5.4):
 * actors with notifyShutdown see their signal abort with Shutdown, others finish, and
 * stop({ timeout }) always resolves, requeueing what could not finish.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { CurrentMessage, Shutdown, actor } from "@q/core";
import { capturingBroker, deferred, newBroker, startWorker, stopStartedWorkers } from "./harness";

afterEach(stopStartedWorkers);

/** Resolves when the signal aborts; rejects with its reason, as an abort-aware API would. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason as Error)));
}

// 36. test_shutdown_notifications_are_received
test("actors with notifyShutdown see their signal abort with Shutdown; others finish", async () => {
  const broker = newBroker();
  const started = { notified: deferred(), plain: deferred() };
  const shutdowns: unknown[] = [];
  const finished: string[] = [];
  const notified = actor(async function notified() {
    const { signal } = CurrentMessage.getCurrentMessage()!;
    started.notified.resolve();
    try {
      await untilAborted(signal);
    } catch (error) {
      shutdowns.push(error);
      throw error;
    }
  }, { broker, notifyShutdown: true, maxRetries: 0 });
  const plainSignals: AbortSignal[] = [];
  const plain = actor(async function plain() {
    plainSignals.push(CurrentMessage.getCurrentMessage()!.signal);
    started.plain.resolve();
    await sleep(150);
    finished.push("plain");
  }, { broker });
  const worker = await startWorker(broker);

  await notified.send();
  await plain.send();
  await Promise.all([started.notified.promise, started.plain.promise]);
  await worker.stop({ timeout: 5000 });

  expect(shutdowns).toHaveLength(1);
  expect(shutdowns[0]).toBeInstanceOf(Shutdown);
  expect(finished).toEqual(["plain"]);
  expect(plainSignals[0]!.aborted).toBe(false);
  // The interrupted message failed for good (maxRetries 0); the other was acked.
  expect(broker.deadLetters.map((m) => [m.actorName, m.exception])).toEqual([["notified", shutdowns[0]]]);
  await broker.join("default", { timeout: 100, failFast: false });
});

test("a message-level notifyShutdown works too", async () => {
  const broker = newBroker();
  const started = deferred();
  const reasons: unknown[] = [];
  const work = actor(async function work() {
    const { signal } = CurrentMessage.getCurrentMessage()!;
    started.resolve();
    await untilAborted(signal).catch((error: unknown) => reasons.push(error));
  }, { broker });
  const worker = await startWorker(broker);

  await work.sendWithOptions({ notifyShutdown: true });
  await started.promise;
  await worker.stop({ timeout: 5000 });
  expect(reasons).toEqual([expect.any(Shutdown)]);
});

test("a message interrupted by shutdown is retried, and a later worker runs it", async () => {
  const broker = newBroker();
  const started = deferred();
  let attempts = 0;
  const work = actor(async function work() {
    if (++attempts === 1) {
      started.resolve();
      await untilAborted(CurrentMessage.getCurrentMessage()!.signal);
    }
  }, { broker, notifyShutdown: true, minBackoff: 10, maxBackoff: 100 });
  const first = await startWorker(broker);

  await work.send();
  await started.promise;
  await first.stop({ timeout: 5000 });
  expect(attempts).toBe(1);

  await startWorker(broker);
  await broker.join(work.queueName, { timeout: 5000 });
  expect(attempts).toBe(2);
});

test("stop({ timeout }) resolves even if an actor never settles; its message is requeued, not lost", async () => {
  const broker = newBroker();
  const started = deferred();
  const runs: string[] = [];
  const work = actor(function work() {
    const id = CurrentMessage.getCurrentMessage()!.messageId;
    runs.push(id);
    if (runs.length === 1) {
      started.resolve();
      return new Promise<never>(() => {}); // never settles, ignores its signal
    }
    return undefined;
  }, { broker });
  const first = await startWorker(broker);

  const sent = await work.send();
  await started.promise;
  await first.stop({ timeout: 100 });
  expect(broker.deadLetters).toEqual([]);

  await startWorker(broker);
  await broker.join(work.queueName, { timeout: 5000 });
  expect(runs).toEqual([sent.messageId, sent.messageId]);
});

test("an abandoned message's time limit does not fire after the worker stopped", async () => {
  const { broker, logs } = capturingBroker();
  const started = deferred();
  const work = actor(function work() {
    started.resolve();
    return new Promise<never>(() => {});
  }, { broker, timeLimit: 300 });
  const worker = await startWorker(broker);

  await work.send();
  await started.promise;
  await worker.stop({ timeout: 50 });
  await sleep(400);

  const messages = logs.map((l) => l.msg);
  expect(messages).toContain("Worker has been shut down.");
  expect(messages.filter((m) => m.startsWith("Time limit exceeded"))).toEqual([]);
});

test("stop() is idempotent and a stopped worker can be stopped again", async () => {
  const broker = newBroker();
  actor(function work() {}, { broker });
  const worker = await startWorker(broker);
  await Promise.all([worker.stop({ timeout: 1000 }), worker.stop({ timeout: 1000 })]);
  await worker.stop({ timeout: 1000 });
});
