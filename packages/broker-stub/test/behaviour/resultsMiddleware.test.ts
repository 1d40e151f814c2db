import { actor, ConfigurationError, defaultMiddleware, Message, ResultFailure, ResultMissing, Results, ResultTimeout, Worker } from "@q/core";
import { MemoryResultBackend } from "@q/core/testing";
import pino from "pino";
import { StubBroker } from "../../src";

jest.setTimeout(20_000);

function setUp(options: { storeResults?: boolean } = {}) {
  const backend = new MemoryResultBackend();
  const broker = new StubBroker({ logger: pino({ level: "silent" }), middleware: [...defaultMiddleware(), new Results({ backend, ...options })] });
  return { backend, broker };
}

test("a sent message's result is missing until its actor ran, then reads back, blocking or not", async () => {
  const { broker } = setUp();
  const add = actor(function add(a: number, b: number) {
    return a + b;
  }, { broker, storeResults: true });
  const message = await add.send(1, 2);
  await expect(message.getResult()).rejects.toBeInstanceOf(ResultMissing);
  const worker = new Worker(broker, { concurrency: 2 });
  await worker.start();
  try {
    const t0 = performance.now();
    expect(await message.getResult({ block: true, timeout: 10_000 })).toBe(3);
    // Woken by the store, not by the deadline (a store racing the wait's start once went unseen).
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(await message.getResult()).toBe(3);
  } finally {
    await worker.stop();
  }
});

test("a failure is stored once the message is dead-lettered, as Dramatiq's envelope", async () => {
  const { broker, backend } = setUp();
  let runs = 0;
  const boom = actor(function boom() {
    runs++;
    throw new TypeError("bad input");
  }, { broker, storeResults: true, maxRetries: 1, minBackoff: 10, maxBackoff: 10 });
  const worker = new Worker(broker, { concurrency: 1 });
  await worker.start();
  try {
    const message = await boom.send();
    const error = await message.getResult({ block: true, timeout: 5_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResultFailure);
    expect(error).toMatchObject({ message: "actor raised TypeError: bad input", origExcType: "TypeError", origExcMsg: "bad input" });
    expect(runs).toBe(2); // stored after the last attempt, not the first
    await expect(backend.getResult(message)).rejects.toBeInstanceOf(ResultFailure);
  } finally {
    await worker.stop();
  }
});

test("without storeResults nothing is stored, and a blocking read times out at a sub-second timeout", async () => {
  const { broker } = setUp();
  const add = actor(function add(a: number, b: number) {
    return a + b;
  }, { broker });
  const worker = new Worker(broker, { concurrency: 1 });
  await worker.start();
  try {
    const message = await add.send(1, 2);
    await broker.join(add.queueName);
    const t0 = performance.now();
    await expect(message.getResult({ block: true, timeout: 300 })).rejects.toBeInstanceOf(ResultTimeout);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
  } finally {
    await worker.stop();
  }
});

test("the storeResults message option overrides the actor's", async () => {
  const { broker } = setUp();
  const add = actor(function add(a: number, b: number) {
    return a + b;
  }, { broker });
  const worker = new Worker(broker, { concurrency: 1 });
  await worker.start();
  try {
    const message = await add.sendWithOptions({ args: [2, 3], storeResults: true });
    expect(await message.getResult({ block: true, timeout: 5_000 })).toBe(5);
  } finally {
    await worker.stop();
  }
});

test("getResult on a broker without the Results middleware is a ConfigurationError", async () => {
  const broker = new StubBroker({ logger: pino({ level: "silent" }) });
  const add = actor(function add(a: number, b: number) {
    return a + b;
  }, { broker });
  const message = await add.send(1, 2);
  await expect(message.getResult()).rejects.toBeInstanceOf(ConfigurationError);
  await expect(new Message({ queueName: "default", actorName: "add" }).getResult({ broker })).rejects.toThrow("needs the Results middleware");
});

test("a bad Results configuration is refused", () => {
  expect(() => new Results({} as never)).toThrow("Results needs a result backend");
  expect(() => new Results({ backend: new MemoryResultBackend(), resultTtl: -1 })).toThrow("resultTtl must be a positive number of milliseconds");
});
