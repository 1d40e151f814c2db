// ErrorReporting on a real Redis broker with a Worker: one report per failed attempt with the
// right willRetry, and a transport that throws or hangs never stops the worker.
import { RedisBroker } from "@q/broker-redis";
import { Results, Retries, Worker, actor, defaultMiddleware } from "@q/core";
import { LEVEL, captureLogger, waitFor } from "@q/test-support";
import { REDIS_URL, freshNamespace, requireRedis } from "@q/test-support/redis";
import { RedisResultBackend } from "@q/results/redis";
import Redis from "ioredis";
import { type ErrorReport, type ErrorTransport, ErrorReporting } from "../src/errorReporting";
import { recordingTransport } from "../src/recordingTransport";

beforeAll(() => requireRedis());

/** A broker with ErrorReporting on `transport`, a worker running it, and a cleanup. */
async function setUp(transport: ErrorTransport, timeout?: number) {
  const namespace = freshNamespace("qrecipes");
  const logs = captureLogger("info");
  const results = new RedisResultBackend({ url: REDIS_URL });
  const broker = new RedisBroker({
    url: REDIS_URL,
    namespace,
    logger: logs.logger,
    middleware: [...defaultMiddleware(), new Results({ backend: results })],
  });
  broker.addMiddleware(new ErrorReporting({ transport, timeout }), { before: Retries });
  const queueName = `errors-${namespace}`;
  const attempts: string[] = [];
  const flaky = actor(
    function flaky(what: string) {
      attempts.push(what);
      throw new Error(`flaky ${what} failed`);
    },
    { broker, queueName, maxRetries: 2, minBackoff: 10, maxBackoff: 30 },
  );
  class Refused extends Error {}
  const refuse = actor(
    function refuse() {
      throw new Refused("not today");
    },
    { broker, queueName, throws: Refused },
  );
  const ok = actor(function ok(n: number) {
    return n * 2;
  }, { broker, queueName, storeResults: true });
  const worker = new Worker(broker, { concurrency: 2 });
  await worker.start();
  return {
    broker,
    logs,
    attempts,
    flaky,
    refuse,
    ok,
    queueName,
    async tearDown() {
      await worker.stop();
      await broker.close();
      await results.close();
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${namespace}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    },
  };
}

test("a failing actor with 2 retries: three reports of one message, willRetry true, true, false", async () => {
  const { transport, reports } = recordingTransport();
  const t = await setUp(transport);
  try {
    const message = await t.flaky.send("gravel");
    await waitFor("three reports", () => reports.length >= 3, { timeout: 15_000 });
    await new Promise((r) => setTimeout(r, 300)); // no fourth one comes
    expect(reports).toHaveLength(3);
    expect(t.attempts).toEqual(["gravel", "gravel", "gravel"]);
    expect(reports.map((r: ErrorReport) => [r.messageId, r.actorName, r.queueName, r.retries, r.willRetry])).toEqual([
      [message.messageId, "flaky", t.queueName, 0, true],
      [message.messageId, "flaky", t.queueName, 1, true],
      [message.messageId, "flaky", t.queueName, 2, false],
    ]);
    for (const r of reports) {
      expect(r.error).toEqual({ type: "Error", message: "flaky gravel failed", stack: expect.stringContaining("flaky gravel failed") });
      expect(r.exception).toBeInstanceOf(Error);
      expect(typeof r.timestamp).toBe("number");
    }
  } finally {
    await t.tearDown();
  }
}, 30_000);

test("an error the actor declares in throws is reported once, with willRetry false", async () => {
  const { transport, reports } = recordingTransport();
  const t = await setUp(transport);
  try {
    const message = await t.refuse.send();
    await waitFor("the report", () => reports.length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(reports.map((r) => [r.messageId, r.retries, r.willRetry, r.error.type, r.error.message])).toEqual([[message.messageId, 0, false, "Refused", "not today"]]);
  } finally {
    await t.tearDown();
  }
}, 30_000);

test("a throwing transport is logged and ignored: the message is still retried, and other messages run", async () => {
  // The first two reports fail, like an error tracker that is down.
  const { transport, reports } = recordingTransport({ failFirst: 2 });
  const t = await setUp(transport);
  try {
    const failing = await t.flaky.send("sand");
    await waitFor("the third attempt's report", () => reports.length >= 1, { timeout: 15_000 });
    expect(t.attempts).toEqual(["sand", "sand", "sand"]);
    expect(reports.map((r) => [r.messageId, r.retries, r.willRetry])).toEqual([[failing.messageId, 2, false]]);
    const failures = t.logs.find(LEVEL.error, "The error transport failed");
    expect(failures.map((l) => [l.msg, l.err?.message])).toEqual([
      [`The error transport failed for message ${failing.messageId} (flaky); the report is dropped.`, "the error tracker is down"],
      [`The error transport failed for message ${failing.messageId} (flaky); the report is dropped.`, "the error tracker is down"],
    ]);
    const message = await t.ok.send(21);
    expect(await message.getResult({ block: true, timeout: 10_000 })).toBe(42);
  } finally {
    await t.tearDown();
  }
}, 30_000);

test("a transport that never settles is given up on after its timeout; the worker carries on", async () => {
  let calls = 0;
  const hanging: ErrorTransport = () => {
    calls++;
    return new Promise<void>(() => undefined);
  };
  const t = await setUp(hanging, 200);
  try {
    const failing = await t.refuse.send();
    await waitFor("the timeout to be logged", () => t.logs.find(LEVEL.error, "The error transport failed").length === 1, { timeout: 10_000 });
    expect(calls).toBe(1);
    expect(t.logs.find(LEVEL.error, "The error transport failed")[0]!.err?.message).toBe("the transport did not finish within 200 ms");
    expect(t.logs.find(LEVEL.error, "The error transport failed")[0]!.msg).toContain(failing.messageId);
    const message = await t.ok.send(5);
    expect(await message.getResult({ block: true, timeout: 10_000 })).toBe(10);
  } finally {
    await t.tearDown();
  }
}, 30_000);

test("listed after Retries, it says so when a worker boots (it would report willRetry wrongly)", async () => {
  const logs = captureLogger("info");
  const broker = new RedisBroker({ url: REDIS_URL, namespace: freshNamespace("qrecipes"), logger: logs.logger, middleware: [...defaultMiddleware(), new ErrorReporting({ transport: async () => {} })] });
  actor(function idle() {}, { broker, queueName: `idle-${broker.namespace}` });
  const worker = new Worker(broker, { concurrency: 1 });
  await worker.start();
  await worker.stop();
  await broker.close();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${broker.namespace}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
  expect(logs.find(LEVEL.error, "ErrorReporting is listed after Retries")).toHaveLength(1);
});

test("ErrorReporting refuses a missing transport and a bad timeout", () => {
  expect(() => new ErrorReporting({} as never)).toThrow("ErrorReporting needs a transport");
  expect(() => new ErrorReporting({ transport: async () => {}, timeout: -1 })).toThrow("ErrorReporting's timeout must be a positive number of milliseconds, got -1.");
});
