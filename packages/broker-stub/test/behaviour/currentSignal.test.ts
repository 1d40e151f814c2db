/**
 * Handling time limits the way Dramatiq's guide shows it ("wrap the actor's body in try and catch
 * TimeLimitExceeded"), with no extra middleware: `currentSignal()` gives the running message's
 * AbortSignal, whose reason is the interrupt itself.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  type Broker,
  type MessageProxy,
  CurrentMessage,
  Middleware,
  QError,
  Shutdown,
  TimeLimitExceeded,
  actor,
  currentSignal,
  defaultMiddleware,
} from "@q/core";
import { deferred, newBroker, startWorker, stopStartedWorkers } from "./harness";
import { setTimeout as sleep } from "node:timers/promises";

afterEach(stopStartedWorkers);

/** A StubBroker with the default middleware only: no CurrentMessage. */
const plainBroker = () => newBroker({ middleware: defaultMiddleware() });

/** Resolves when the signal aborts; rejects with its reason, as an abort-aware API would. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason as Error)));
}

/** Records each message's own signal, by its first argument. */
class SignalRecorder extends Middleware {
  readonly signals = new Map<unknown, AbortSignal>();
  override beforeProcessMessage(_broker: Broker, message: MessageProxy): void {
    this.signals.set(message.args[0], message.signal);
  }
}

test("without CurrentMessage, currentSignal() aborts at the time limit with the TimeLimitExceeded the message fails with", async () => {
  const broker = plainBroker();
  const thrown: unknown[] = [];
  const teardowns: string[] = [];
  const tornDown = deferred();
  const launch = actor(async function launch(target: string) {
    const signal = currentSignal();
    try {
      for (;;) {
        signal.throwIfAborted();
        await sleep(5);
      }
    } catch (error) {
      thrown.push(error);
      if (error instanceof TimeLimitExceeded) teardowns.push(target);
      tornDown.resolve();
      throw error;
    }
  }, { broker, timeLimit: 100, maxRetries: 0 });
  await startWorker(broker);

  await launch.send("moon");
  await expect(broker.join(launch.queueName, { timeout: 5000 })).rejects.toBeInstanceOf(TimeLimitExceeded);
  // The worker fails the message at the deadline; the loop sees the abort at its next step.
  await tornDown.promise;

  expect(teardowns).toEqual(["moon"]);
  expect(thrown).toHaveLength(1);
  expect(broker.deadLetters).toHaveLength(1);
  expect(broker.deadLetters[0]!.exception).toBe(thrown[0]);
});

test("fetch given currentSignal() rejects with TimeLimitExceeded itself, and the catch block's teardown runs once", async () => {
  // A server that never answers: the fetch only ends when its signal aborts.
  const server = http.createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    const broker = plainBroker();
    const caught: unknown[] = [];
    const teardown = deferred();
    const crawl = actor(async function crawl(target: string) {
      const signal = currentSignal();
      try {
        await fetch(target, { signal });
      } catch (error) {
        caught.push(error);
        if (error instanceof TimeLimitExceeded) teardown.resolve();
        throw error;
      }
    }, { broker, timeLimit: 100, maxRetries: 0 });
    await startWorker(broker);

    await crawl.send(url);
    await expect(broker.join(crawl.queueName, { timeout: 5000 })).rejects.toBeInstanceOf(TimeLimitExceeded);
    await teardown.promise;

    expect(caught).toHaveLength(1);
    expect(caught[0]).toBeInstanceOf(TimeLimitExceeded);
    expect(broker.deadLetters).toHaveLength(1);
    expect(broker.deadLetters[0]!.exception).toBe(caught[0]);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test("messages running side by side each get their own signal; one's time limit aborts only its own", async () => {
  const recorder = new SignalRecorder();
  const broker = plainBroker();
  broker.addMiddleware(recorder);
  const seen = new Map<string, AbortSignal>();
  const slowAborted = deferred();
  let patientAbortedAfterSlow: boolean | undefined;
  const work = actor(async function work(name: string) {
    const signal = currentSignal();
    seen.set(name, signal);
    if (name === "slow") {
      await untilAborted(signal).finally(() => slowAborted.resolve());
    } else {
      await slowAborted.promise;
      patientAbortedAfterSlow = signal.aborted;
    }
  }, { broker, maxRetries: 0 });
  await startWorker(broker, { concurrency: 2 });

  await work.sendWithOptions({ args: ["slow"], timeLimit: 100 });
  await work.send("patient");
  await expect(broker.join(work.queueName, { timeout: 5000 })).rejects.toBeInstanceOf(TimeLimitExceeded);

  expect([...seen.keys()].sort()).toEqual(["patient", "slow"]);
  expect(seen.get("slow")).toBe(recorder.signals.get("slow"));
  expect(seen.get("patient")).toBe(recorder.signals.get("patient"));
  expect(seen.get("slow")!.reason).toBeInstanceOf(TimeLimitExceeded);
  expect(patientAbortedAfterSlow).toBe(false);
  expect(seen.get("patient")!.aborted).toBe(false);
  expect(broker.deadLetters.map((m) => m.args)).toEqual([["slow"]]);
});

test("without CurrentMessage, currentSignal() after the actor's first await throws a QError that says where to call it", async () => {
  const broker = plainBroker();
  const errors: unknown[] = [];
  const late = actor(async function late() {
    await sleep(1);
    try {
      currentSignal();
    } catch (error) {
      errors.push(error);
    }
  }, { broker });
  await startWorker(broker);

  await late.send();
  await broker.join(late.queueName, { timeout: 5000 });
  expect(errors).toHaveLength(1);
  expect(errors[0]).toBeInstanceOf(QError);
  expect((errors[0] as QError).message).toMatch(/call it at the start of the actor function/);
});

test("with CurrentMessage, currentSignal() also works after the actor's first await", async () => {
  const recorder = new SignalRecorder();
  const broker = newBroker({ middleware: [...defaultMiddleware(), new CurrentMessage(), recorder] });
  const seen: AbortSignal[] = [];
  const late = actor(async function late(_n: number) {
    await sleep(1);
    seen.push(currentSignal());
  }, { broker });
  await startWorker(broker);

  await late.send(1);
  await broker.join(late.queueName, { timeout: 5000 });
  expect(seen).toHaveLength(1);
  expect(seen[0]).toBe(recorder.signals.get(1));
});

test("an actor called inline from another's start shares its signal", async () => {
  const recorder = new SignalRecorder();
  const broker = plainBroker();
  broker.addMiddleware(recorder);
  const inner: AbortSignal[] = [];
  const step = actor(function step() {
    inner.push(currentSignal());
  }, { broker });
  const outer = actor(async function outer(_n: number) {
    void step();
    await sleep(1);
  }, { broker });
  await startWorker(broker);

  await outer.send(7);
  await broker.join(outer.queueName, { timeout: 5000 });
  expect(inner).toHaveLength(1);
  expect(inner[0]).toBe(recorder.signals.get(7));
});

test("without CurrentMessage, a notifyShutdown actor's currentSignal() aborts with Shutdown when the worker stops", async () => {
  const broker = plainBroker();
  const started = deferred();
  const caught: unknown[] = [];
  const long = actor(async function long() {
    const signal = currentSignal();
    started.resolve();
    try {
      await untilAborted(signal);
    } catch (error) {
      if (error instanceof Shutdown) caught.push(error);
      throw error;
    }
  }, { broker, notifyShutdown: true, maxRetries: 0 });
  const worker = await startWorker(broker);

  await long.send();
  await started.promise;
  await worker.stop({ timeout: 5000 });

  expect(caught).toHaveLength(1);
  expect(broker.deadLetters.map((m) => m.exception)).toEqual(caught);
  expect(broker.deadLetters[0]!.exception).toBe(caught[0]);
});
