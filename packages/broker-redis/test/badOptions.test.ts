/**
 * Options with values of the wrong type or range, in raw messages written straight onto
 * Redis as another producer would: each is logged as a warning naming the message, the
 * option and the value, and a documented fallback applies (docs/middleware.md). Nothing
 * crashes and nothing is quietly different (`max_retries: "lots"` used to retry forever).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { randomUUID } from "node:crypto";
import { CurrentMessage, type MessageData, TimeLimitExceeded, actor } from "@q/core";
import { LEVEL, captureLogger, waitFor } from "@q/test-support";
import { keysOf, pythonBytes, rawEnqueue, useHarness } from "./harness";

jest.setTimeout(15_000);

const h = useHarness();

/** Writes a Python-shaped message with these options (JSON text, without the braces) onto `queue`. */
async function push(namespace: string, queue: string, actorName: string, options: string, extra: { args?: string; timestamp?: number } = {}) {
  const id = randomUUID();
  const { bytes, messageId } = pythonBytes({
    queue,
    actor: actorName,
    args: extra.args ?? "[]",
    options: `{${options}${options ? "," : ""}"redis_message_id":"${id}"}`,
    timestamp: extra.timestamp,
  });
  await rawEnqueue(h.redis, namespace, queue, id, bytes);
  return messageId;
}

test('max_retries "lots", min_backoff "soon" and max_backoff -5: the actor\'s values apply, each with a warning', async () => {
  const logs = captureLogger("info");
  const broker = h.broker({ logger: logs.logger });
  const k = keysOf(broker.namespace, "py");
  let attempts = 0;
  actor(
    function flaky() {
      attempts++;
      throw new Error("no");
    },
    { broker, queueName: "py", maxRetries: 1, minBackoff: 10, maxBackoff: 20 },
  );
  await h.worker(broker);

  const id = await push(broker.namespace, "py", "flaky", '"max_retries":"lots","min_backoff":"soon","max_backoff":-5');
  await waitFor("the dead letter", () => h.redis.exists(k.xq), { timeout: 5000 });
  await sleep(200); // a further attempt would have run by now

  expect(attempts).toBe(2);
  const warnings = logs.find(LEVEL.warn, `Message ${id} has an invalid`).map((l) => l.msg);
  expect(warnings).toEqual([
    `Message ${id} has an invalid max_retries option "lots" (expected a non-negative integer, or null to retry forever; using the actor's maxRetries (1) instead).`,
    `Message ${id} has an invalid min_backoff option "soon" (expected a non-negative number of milliseconds; using the actor's minBackoff (10) instead).`,
    `Message ${id} has an invalid max_backoff option -5 (expected a non-negative number of milliseconds; using the actor's maxBackoff (20) instead).`,
    // The retry is a new delivery, read again.
    `Message ${id} has an invalid max_retries option "lots" (expected a non-negative integer, or null to retry forever; using the actor's maxRetries (1) instead).`,
  ]);
  expect(logs.find(LEVEL.info, `Retrying message '${id}' in `)).toHaveLength(1);
  expect(logs.lines.filter((l) => l.level >= LEVEL.fatal)).toEqual([]);
});

test('retries "a": the count starts from 0, with a warning', async () => {
  const logs = captureLogger("info");
  const broker = h.broker({ logger: logs.logger });
  const k = keysOf(broker.namespace, "py");
  const seen: unknown[] = [];
  actor(
    function flaky() {
      seen.push(CurrentMessage.getCurrentMessage()!.options.retries);
      throw new Error("no");
    },
    { broker, queueName: "py", minBackoff: 10, maxBackoff: 20 },
  );
  await h.worker(broker);

  const id = await push(broker.namespace, "py", "flaky", '"retries":"a","max_retries":1');
  await waitFor("the dead letter", () => h.redis.exists(k.xq), { timeout: 5000 });

  expect(seen).toEqual(["a", 1]);
  expect(logs.find(LEVEL.warn, "has an invalid").map((l) => l.msg)).toEqual([
    `Message ${id} has an invalid retries option "a" (expected a non-negative integer; counting from 0).`,
  ]);
  const [deadId] = await h.redis.zrange(k.xq, "0", "-1");
  const dead = JSON.parse((await h.redis.hget(k.xqMsgs, deadId!))!) as MessageData;
  expect(dead.options.retries).toBe(1); // the last delivery, as received
});

test('time_limit "soon": the actor\'s time limit applies, with a warning', async () => {
  const logs = captureLogger("info");
  const broker = h.broker({ logger: logs.logger });
  const failures: unknown[] = [];
  actor(
    async function slow() {
      await sleep(1500);
    },
    { broker, queueName: "py", timeLimit: 100, maxRetries: 0 },
  );
  await h.worker(broker);

  const id = await push(broker.namespace, "py", "slow", '"time_limit":"soon"');
  await waitFor("the time limit", () => logs.find(LEVEL.warn, `Time limit exceeded. Interrupting message '${id}' after 100 ms.`).length === 1, {
    timeout: 5000,
  });
  await broker.join("py", { timeout: 5000 });
  for (const line of logs.find(LEVEL.error, "Failed to process message")) failures.push(line.err?.type);

  expect(failures).toEqual([TimeLimitExceeded.name]);
  expect(logs.find(LEVEL.warn, "has an invalid").map((l) => l.msg)).toEqual([
    `Message ${id} has an invalid time_limit option "soon" (expected a positive number of milliseconds, Infinity or null; using the actor's timeLimit (100) instead).`,
  ]);
});

test('max_age "old": the actor\'s age limit applies (the stale message is dead-lettered unrun), with a warning', async () => {
  const logs = captureLogger("info");
  const broker = h.broker({ logger: logs.logger });
  const k = keysOf(broker.namespace, "py");
  let ran = 0;
  actor(
    function fresh() {
      ran++;
    },
    { broker, queueName: "py", maxAge: 1000 },
  );
  await h.worker(broker);

  const id = await push(broker.namespace, "py", "fresh", '"max_age":"old"', { timestamp: Date.now() - 60_000 });
  await waitFor("the dead letter", () => h.redis.exists(k.xq), { timeout: 5000 });

  expect(ran).toBe(0);
  expect(logs.find(LEVEL.warn, "has an invalid").map((l) => l.msg)).toEqual([
    `Message ${id} has an invalid max_age option "old" (expected a non-negative number of milliseconds or null; using the actor's maxAge (1000) instead).`,
  ]);
  expect(logs.find(LEVEL.warn, `Message '${id}' has exceeded its age limit.`)).toHaveLength(1);
});

test('eta "soon" on the delay queue: the message runs now, with a warning', async () => {
  const logs = captureLogger("info");
  const broker = h.broker({ logger: logs.logger });
  const ran: string[] = [];
  actor(
    function later() {
      ran.push(CurrentMessage.getCurrentMessage()!.messageId);
    },
    { broker, queueName: "py" },
  );
  await h.worker(broker);

  const id = await push(broker.namespace, "py.DQ", "later", '"eta":"soon"');
  await waitFor("the message to run", () => ran.length === 1, { timeout: 5000 });

  expect(ran).toEqual([id]);
  expect(logs.find(LEVEL.warn, "Invalid eta").map((l) => l.msg)).toEqual([`Invalid eta value "soon" for message ${id}; treating it as due now.`]);
});

test("on_failure 5 and a pipe_target that is not a message: the actor's callback is sent and the pipeline stops, with warnings", async () => {
  const logs = captureLogger("info");
  const broker = h.broker({ logger: logs.logger });
  const reported: string[] = [];
  const report = actor(
    function report(message: MessageData, _error: unknown) {
      reported.push(message.message_id);
    },
    { broker, queueName: "py" },
  );
  actor(
    function fails() {
      throw new Error("no");
    },
    { broker, queueName: "py", maxRetries: 0, onFailure: report },
  );
  let steps = 0;
  actor(
    function step() {
      steps++;
    },
    { broker, queueName: "py" },
  );
  await h.worker(broker);

  const failing = await push(broker.namespace, "py", "fails", '"on_failure":5');
  const piped = await push(broker.namespace, "py", "step", '"pipe_target":"nope"');
  await waitFor("the callback", () => reported.length === 1, { timeout: 5000 });
  await broker.join("py", { timeout: 5000 });

  expect(reported).toEqual([failing]);
  expect(steps).toBe(1);
  // The two messages run concurrently: either warning may come first.
  expect(logs.find(LEVEL.warn, "has an invalid").map((l) => l.msg).sort()).toEqual(
    [
      `Message ${failing} has an invalid on_failure option 5 (expected an actor name or null; using the actor's onFailure ("report") instead).`,
      `Message ${piped} has an invalid pipe_target option "nope" (a message must be a JSON object; the pipeline stops here).`,
    ].sort(),
  );
  expect(logs.lines.filter((l) => l.level >= LEVEL.fatal)).toEqual([]);
});
