/**
 * Groups and pipelines with results on the stub broker (spec 17.1 items 37–45, and @q's
 * group steps, asCompleted and MiddlewareMissing), with the full set of middleware:
 * MemoryResultBackend behind Results, GroupCallbacks over a MemoryRateLimiterBackend,
 * and the default Pipelines.
 */
import { createHash } from "node:crypto";
import {
  type Broker,
  GroupCallbacks,
  type MessageData,
  type MessageProxy,
  Middleware,
  MiddlewareMissing,
  QError,
  ResultFailure,
  ResultMissing,
  Results,
  ResultTimeout,
  actor,
  defaultMiddleware,
  group,
  pipeline,
} from "@q/core";
import { MemoryRateLimiterBackend, MemoryResultBackend } from "@q/core/testing";
import pino from "pino";
import { StubBroker } from "../../src";
import { capturingBroker, deferred, startWorker, stopStartedWorkers } from "./harness";

jest.setTimeout(20_000);
afterEach(stopStartedWorkers);

/** A stub broker with Results, GroupCallbacks and (by default) Pipelines. */
function setUp(options: { results?: boolean; groupCallbacks?: boolean; pipelines?: boolean } = {}) {
  const { results = true, groupCallbacks = true, pipelines = true } = options;
  const backend = new MemoryResultBackend();
  const middleware = defaultMiddleware().filter((m) => pipelines || m.constructor.name !== "Pipelines");
  if (groupCallbacks) middleware.push(new GroupCallbacks(new MemoryRateLimiterBackend()));
  if (results) middleware.push(new Results({ backend, storeResults: true }));
  const broker = new StubBroker({ logger: pino({ level: "silent" }), middleware });
  return { broker, backend };
}

/** Counts each actor's runs by name. */
function counter() {
  const runs = new Map<string, number>();
  return {
    hit: (name: string) => runs.set(name, (runs.get(name) ?? 0) + 1),
    of: (name: string) => runs.get(name) ?? 0,
    all: () => Object.fromEntries([...runs].sort()),
  };
}

// 37. test_callbacks.py::test_actor_callback_knows_correct_number_of_retries
test("37: an onFailure callback sees the retry count already incremented, and the failure is stored once", async () => {
  const { broker, backend } = setUp();
  const retries: unknown[] = [];
  const runs = counter();
  const failing = actor(function failing() {
    runs.hit("failing");
    throw new Error("nope");
  }, { broker, maxRetries: 2, minBackoff: 10, maxBackoff: 10 });
  actor(function report(message: MessageData, _error: unknown) {
    retries.push(message.options.retries);
  }, { broker, actorName: "report" });
  await startWorker(broker);

  const message = await failing.sendWithOptions({ onFailure: "report" });
  await expect(message.getResult({ block: true, timeout: 5_000 })).rejects.toMatchObject({ origExcType: "Error", origExcMsg: "nope" });
  await broker.join("default", { timeout: 5_000, failFast: false });
  expect(runs.of("failing")).toBe(3);
  expect(retries).toEqual([1, 2, 3]);
  await expect(backend.getResult(message)).rejects.toBeInstanceOf(ResultFailure);
});

test("onSuccess gets the result that Results also stores; each runs once", async () => {
  const { broker } = setUp();
  const got: unknown[] = [];
  const add = actor(function add(a: number, b: number) {
    return a + b;
  }, { broker });
  actor(function onAdded(message: MessageData, result: number) {
    got.push([message.args, result]);
  }, { broker, actorName: "onAdded" });
  await startWorker(broker);
  const message = await add.sendWithOptions({ args: [2, 3], onSuccess: "onAdded" });
  expect(await message.getResult({ block: true, timeout: 5_000 })).toBe(5);
  await broker.join("default", { timeout: 5_000 });
  expect(got).toEqual([[[2, 3], 5]]);
});

// 38. test_results.py::test_actors_can_store_exceptions
test("38: an actor's exception is stored and surfaces as a ResultFailure", async () => {
  const { broker } = setUp();
  const boom = actor(function boom() {
    throw new RangeError("too far");
  }, { broker, maxRetries: 0 });
  await startWorker(broker);
  const message = await boom.send();
  const error = await message.getResult({ block: true, timeout: 5_000 }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ResultFailure);
  expect(error).toMatchObject({ message: "actor raised RangeError: too far", origExcType: "RangeError", origExcMsg: "too far" });
});

// 39. test_results.py::test_retrieving_a_result_can_time_out
test("39: retrieving a result times out at a sub-second timeout", async () => {
  const { broker } = setUp();
  const release = deferred();
  const slow = actor(async function slow() {
    await release.promise;
    return 1;
  }, { broker });
  await startWorker(broker);
  const message = await slow.send();
  const t0 = performance.now();
  await expect(message.getResult({ block: true, timeout: 200 })).rejects.toBeInstanceOf(ResultTimeout);
  expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
  release.resolve();
  expect(await message.getResult({ block: true, timeout: 5_000 })).toBe(1);
});

// 40. test_results.py::test_use_namespace_prefix_keys_default_is_legacy_hash
test("40: result keys are the MD5 of namespace:queue:actor:id by default", async () => {
  const { backend } = setUp();
  const key = { queueName: "default.DQ", actorName: "add", messageId: "id-1" };
  expect(backend.useNamespacePrefixKeys).toBe(false);
  expect(backend.buildMessageKey(key)).toBe(createHash("md5").update("dramatiq-results:default:add:id-1").digest("hex"));
});

// 41. test_results.py::test_age_limit_skipped_messages_store_consistent_exceptions
test("41: a message skipped by the age limit stores its SkipMessage failure", async () => {
  const { broker } = setUp();
  const runs = counter();
  const old = actor(function old() {
    runs.hit("old");
  }, { broker, maxAge: 1 });
  const message = await old.sendWithOptions({ delay: 30 });
  await startWorker(broker);
  const error = await message.getResult({ block: true, timeout: 5_000 }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ResultFailure);
  expect(error).toMatchObject({ origExcType: "SkipMessage" });
  expect(runs.of("old")).toBe(0);
});

// 42. test_composition.py::test_pipe_ignore_applies_to_receiving_message
test("42: pipeIgnore applies to the receiving step; the pipeline's results are [[1], [2], [3, [2]]]", async () => {
  const { broker } = setUp();
  const returnArgs = actor(function returnArgs(...args: unknown[]) {
    return args;
  }, { broker });
  await startWorker(broker, { concurrency: 1 });
  const p = pipeline([returnArgs.message(1), returnArgs.messageWithOptions({ args: [2], pipeIgnore: true }), returnArgs.message(3)], { broker });
  await p.run();
  expect(await p.getResults({ block: true, timeout: 5_000 })).toEqual([[1], [2], [3, [2]]]);
  expect(await p.getResult()).toEqual([3, [2]]);
  expect(await p.completedCount()).toBe(3);
  expect(await p.completed()).toBe(true);
});

// 43. test_composition.py::test_pipeline_does_not_continue_to_next_actor_when_message_is_marked_as_failed
test("43: a step marked failed stops the pipeline; the next step never runs and its result stays missing", async () => {
  const { broker } = setUp();
  class FailMessage extends Middleware {
    override afterProcessMessage(_broker: Broker, message: MessageProxy): void {
      if (message.actorName === "doNothing") message.fail();
    }
  }
  broker.addMiddleware(new FailMessage());
  const runs = counter();
  const doNothing = actor(function doNothing() {
    runs.hit("doNothing");
  }, { broker });
  const shouldNeverRun = actor(function shouldNeverRun() {
    runs.hit("shouldNeverRun");
  }, { broker });
  await startWorker(broker);
  const p = pipeline([doNothing.message(), shouldNeverRun.messageWithOptions({ pipeIgnore: true })], { broker });
  await p.run();
  await broker.join("default", { timeout: 5_000, failFast: false });
  expect(runs.all()).toEqual({ doNothing: 1 });
  await expect(p.getResult()).rejects.toBeInstanceOf(ResultMissing);
  expect(await p.completedCount()).toBe(1); // the failed step's failure is stored
});

// 44. test_composition.py::test_pipeline_respects_bigger_of_first_messages_and_pipelines_delay
test.each([
  { messageDelay: 300, pipelineDelay: 100 },
  { messageDelay: 100, pipelineDelay: 300 },
])("44: the pipeline's first step waits the bigger of its delay ($messageDelay) and the run's ($pipelineDelay)", async ({ messageDelay, pipelineDelay }) => {
  const { broker } = setUp();
  const ranAt: number[] = [];
  const stamp = actor(function stamp() {
    ranAt.push(Date.now());
    return ranAt.length;
  }, { broker });
  await startWorker(broker);
  const p = pipeline([stamp.messageWithOptions({ delay: messageDelay }), stamp.messageWithOptions({ pipeIgnore: true })], { broker });
  const before = Date.now();
  await p.run({ delay: pipelineDelay });
  expect(await p.getResults({ block: true, timeout: 5_000 })).toEqual([1, 2]);
  expect(ranAt[0]! - before).toBeGreaterThanOrEqual(290);
});

// 45. test_composition.py::test_groups_of_pipelines_can_have_completion_callbacks
test("45: a group of pipelines fires its completion callback exactly once, after every pipeline finished", async () => {
  const { broker } = setUp();
  const runs = counter();
  const order: string[] = [];
  const step = actor(function step(name: string, previous: string | undefined = undefined) {
    runs.hit(name);
    order.push(name);
    return previous ? `${previous}>${name}` : name;
  }, { broker });
  const done = actor(function done() {
    runs.hit("done");
    order.push("done");
  }, { broker });
  await startWorker(broker);
  const g = group(
    [pipeline([step.message("a1"), step.message("a2")], { broker }), pipeline([step.message("b1"), step.message("b2"), step.message("b3")], { broker })],
    { broker },
  );
  g.addCompletionCallback(done.message());
  await g.run();
  expect(await g.getResults({ block: true, timeout: 5_000 })).toEqual(["a1>a2", "b1>b2>b3"]);
  await broker.join("default", { timeout: 5_000 });
  expect(runs.all()).toEqual({ a1: 1, a2: 1, b1: 1, b2: 1, b3: 1, done: 1 });
  expect(order.at(-1)).toBe("done");
});

test("a group whose pipeline child has a group step completes once, after the step after the group", async () => {
  const { broker } = setUp();
  const runs = counter();
  const order: string[] = [];
  const work = actor(function work(name: string, previous: unknown = null) {
    runs.hit(name);
    order.push(name);
    return previous === null ? name : [name, previous];
  }, { broker });
  const done = actor(function done() {
    runs.hit("done");
    order.push("done");
  }, { broker });
  await startWorker(broker, { concurrency: 3 });
  const p = pipeline([work.message("a"), group([work.message("b1"), work.message("b2")], { broker }), work.message("c")], { broker });
  const g = group([p, work.message("solo")], { broker }).addCompletionCallback(done.message());
  await g.run();
  expect(await g.getResults({ block: true, timeout: 5_000 })).toEqual([["c", [["b1", "a"], ["b2", "a"]]], "solo"]);
  await broker.join("default", { timeout: 5_000 });
  expect(runs.all()).toEqual({ a: 1, b1: 1, b2: 1, c: 1, done: 1, solo: 1 });
  expect(order.indexOf("done")).toBeGreaterThan(order.indexOf("c"));
});

describe("group results", () => {
  test("getResults reads members in member order (a nested group as its list, a pipeline as its last result)", async () => {
    const { broker } = setUp();
    const add = actor(function add(a: number, b: number) {
      return a + b;
    }, { broker });
    await startWorker(broker, { concurrency: 4 });
    const g = group([add.message(1, 2), pipeline([add.message(1, 1), add.message(10)], { broker }), group([add.message(5, 5), add.message(6, 6)], { broker })], { broker });
    await g.run();
    await g.wait({ timeout: 5_000 });
    const results: [number, number, [number, number]] = await g.getResults();
    expect(results).toEqual([3, 12, [10, 12]]);
    expect(await g.completedCount()).toBe(3);
    expect(await g.completed()).toBe(true);
  });

  test("before anything ran: completedCount is 0, a non-blocking read is ResultMissing, a blocking one a sub-second ResultTimeout", async () => {
    const { broker } = setUp();
    const add = actor(function add(a: number, b: number) {
      return a + b;
    }, { broker });
    const g = group([add.message(1, 2), add.message(3, 4)], { broker });
    await g.run(); // no worker yet
    expect(await g.completedCount()).toBe(0);
    expect(await g.completed()).toBe(false);
    await expect(g.getResults()).rejects.toBeInstanceOf(ResultMissing);
    const t0 = performance.now();
    await expect(g.wait({ timeout: 250 })).rejects.toBeInstanceOf(ResultTimeout);
    // One deadline for the whole group, not 250 ms per member.
    expect(performance.now() - t0).toBeLessThan(490);
    await startWorker(broker);
    expect(await g.getResults({ block: true, timeout: 5_000 })).toEqual([3, 7]);
  });

  test("a failed member surfaces as a ResultFailure from getResults", async () => {
    const { broker } = setUp();
    const add = actor(function add(a: number, b: number) {
      if (a < 0) throw new TypeError("negative");
      return a + b;
    }, { broker, maxRetries: 0 });
    await startWorker(broker);
    const g = group([add.message(1, 2), add.message(-1, 2)], { broker });
    await g.run();
    await expect(g.getResults({ block: true, timeout: 5_000 })).rejects.toMatchObject({ name: "ResultFailure", origExcType: "TypeError", origExcMsg: "negative" });
    expect(await g.completedCount()).toBe(2);
  });

  test("asCompleted yields each member once, in completion order, with its index", async () => {
    const { broker } = setUp();
    const gates = [deferred(), deferred(), deferred()];
    const wait = actor(async function wait(i: number) {
      await gates[i]!.promise;
      return `m${i}`;
    }, { broker });
    await startWorker(broker, { concurrency: 3 });
    const g = group([wait.message(0), wait.message(1), wait.message(2)], { broker });
    await g.run();
    const seen: [number, string][] = [];
    const releaseNext = [2, 0]; // member 1 first (below), then 2, then 0
    const iterate = (async () => {
      for await (const { index, result } of g.asCompleted({ timeout: 5_000 })) {
        seen.push([index, result]);
        const next = releaseNext.shift();
        if (next !== undefined) gates[next]!.resolve();
      }
    })();
    gates[1]!.resolve();
    await iterate;
    expect(seen).toEqual([
      [1, "m1"],
      [2, "m2"],
      [0, "m0"],
    ]);
  });

  test("asCompleted throws the ResultTimeout when the shared deadline passes", async () => {
    const { broker } = setUp();
    const add = actor(function add(a: number, b: number) {
      return a + b;
    }, { broker });
    const g = group([add.message(1, 2)], { broker });
    await g.run(); // no worker: nothing completes
    const seen: unknown[] = [];
    await expect(
      (async () => {
        for await (const item of g.asCompleted({ timeout: 200 })) seen.push(item);
      })(),
    ).rejects.toBeInstanceOf(ResultTimeout);
    expect(seen).toEqual([]);
  });
});

describe("group steps in pipelines", () => {
  test("the step after a group receives the members' results in member order, once; each member ran once", async () => {
    const { broker } = setUp();
    const runs = counter();
    const received: unknown[][] = [];
    const add = actor(async function add(a: number, b: number) {
      runs.hit("add");
      // The later members finish first: the list is still in member order.
      await new Promise((r) => setTimeout(r, 60 - a * 10));
      return a + b;
    }, { broker });
    const collect = actor(function collect(label: string, values: number[] = []) {
      runs.hit("collect");
      received.push([label, values]);
      return values.reduce((x, y) => x + y, 0);
    }, { broker });
    const double = actor(function double(n: number) {
      runs.hit("double");
      return n * 2;
    }, { broker });
    await startWorker(broker, { concurrency: 4 });

    const p = pipeline([add.message(0, 1), group([add.message(1), add.message(2), add.message(3), add.message(4)], { broker }), collect.message("sum"), double.message()], { broker });
    expect(p.length).toBe(4);
    await p.run();
    expect(await p.getResult({ block: true, timeout: 5_000 })).toBe(28);
    await broker.join("default", { timeout: 5_000 });
    expect(received).toEqual([["sum", [2, 3, 4, 5]]]);
    expect(runs.all()).toEqual({ add: 5, collect: 1, double: 1 });
    expect(await p.getResults()).toEqual([1, [2, 3, 4, 5], 14, 28]);
    expect(await p.completedCount()).toBe(4);
  });

  test("with two workers racing over eight members, the next step is sent exactly once", async () => {
    const { broker } = setUp();
    const runs = counter();
    const square = actor(async function square(n: number, seed: number) {
      runs.hit("square");
      await new Promise((r) => setTimeout(r, (n * 7) % 5));
      return n * n + seed;
    }, { broker });
    const total = actor(function total(values: number[]) {
      runs.hit("total");
      return values;
    }, { broker });
    await startWorker(broker, { concurrency: 4 });
    await startWorker(broker, { concurrency: 4 });
    const members = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => square.message(n));
    const p = pipeline([square.message(0, 0), group(members, { broker }), total.message()], { broker });
    await p.run();
    expect(await p.getResult({ block: true, timeout: 5_000 })).toEqual([1, 4, 9, 16, 25, 36, 49, 64]);
    await broker.join("default", { timeout: 5_000 });
    expect(runs.all()).toEqual({ square: 9, total: 1 });
  });

  test("a group_pipe option that cannot be read stops the chain with a warning", async () => {
    const { broker, find } = capturingBroker();
    broker.addMiddleware(new GroupCallbacks(new MemoryRateLimiterBackend()));
    broker.addMiddleware(new Results({ backend: new MemoryResultBackend(), storeResults: true }));
    const runs = counter();
    const member = actor(function member() {
      runs.hit("member");
    }, { broker });
    const message = member.message().copy({ options: { group_pipe: { barrier: 5, members: [] } } });
    await startWorker(broker);
    await broker.enqueue(message);
    await broker.join("default", { timeout: 5_000 });
    expect(runs.all()).toEqual({ member: 1 });
    expect(find(40, "group_pipe").map((l) => l.msg)).toEqual([
      `Message ${message.messageId} has an invalid group_pipe option {"barrier":5,"members":[]} (expected a string barrier; the pipeline stops here).`,
    ]);
  });

  test("a group as the first and as the last step; pipeIgnore on the step after a group", async () => {
    const { broker } = setUp();
    const runs = counter();
    const echo = actor(function echo(...args: unknown[]) {
      runs.hit("echo");
      return args;
    }, { broker });
    await startWorker(broker, { concurrency: 2 });
    const p = pipeline(
      [group([echo.message("a"), echo.message("b")], { broker }), echo.messageWithOptions({ args: ["ignored"], pipeIgnore: true }), group([echo.message("x"), echo.message("y")], { broker })],
      { broker },
    );
    await p.run();
    expect(await p.getResult({ block: true, timeout: 5_000 })).toEqual([
      ["x", ["ignored"]],
      ["y", ["ignored"]],
    ]);
    await broker.join("default", { timeout: 5_000 });
    expect(await p.getResults()).toEqual([[["a"], ["b"]], ["ignored"], [["x", ["ignored"]], ["y", ["ignored"]]]]);
    expect(runs.of("echo")).toBe(5);
  });

  test("a failing member stops the chain: nothing after the group runs", async () => {
    const { broker } = setUp();
    const runs = counter();
    const check = actor(function check(n: number, previous: number | undefined = undefined) {
      runs.hit(`check${n}`);
      if (n === 2) throw new Error("member 2 failed");
      return n + (previous ?? 0);
    }, { broker, maxRetries: 1, minBackoff: 10, maxBackoff: 10 });
    const after = actor(function after(values: number[]) {
      runs.hit("after");
      return values;
    }, { broker });
    await startWorker(broker, { concurrency: 3 });
    const p = pipeline([check.message(0), group([check.message(1), check.message(2), check.message(3)], { broker }), after.message()], { broker });
    await p.run();
    await broker.join("default", { timeout: 5_000, failFast: false });
    expect(runs.all()).toEqual({ check0: 1, check1: 1, check2: 2, check3: 1 });
    await expect(p.getResults({ block: true, timeout: 300 })).rejects.toMatchObject({ name: "ResultFailure", origExcMsg: "member 2 failed" });
    await expect(p.getResult({ block: true, timeout: 200 })).rejects.toBeInstanceOf(ResultTimeout);
    expect(await p.completedCount()).toBe(2); // the first step and the group (a failure is finished)
  });

  test("message.pipe() and pipeline.pipe() build the same chain, group steps included", async () => {
    const { broker } = setUp();
    const add = actor(function add(a: number, b: number) {
      return a + b;
    }, { broker });
    const total = actor(function total(values: number[]) {
      return values.reduce((x, y) => x + y, 0);
    }, { broker });
    await startWorker(broker, { concurrency: 2 });
    const p = add.message(1, 2).pipe(group([add.message(10), add.message(20)], { broker }), { broker }).pipe(total.message());
    expect(p.length).toBe(3);
    expect(p.broker).toBe(broker);
    await p.run();
    const sum: number = await p.getResult({ block: true, timeout: 5_000 });
    expect(sum).toBe(36);
  });

  test("the wire options of a group step are plain JSON: pipe_target_group and group_pipe", () => {
    const { broker } = setUp();
    const add = actor(function add(a: number, b: number) {
      return a + b;
    }, { broker });
    const members = [add.message(1), add.message(2)];
    const last = add.messageWithOptions({ args: [0, 0], pipeIgnore: true });
    const p = pipeline([add.message(1, 2), group(members, { broker }), last], { broker });
    const first = JSON.parse(p.messages[0]!.encode().toString()) as MessageData;
    const target = first.options.pipe_target_group as { members: MessageData[] };
    expect(target.members.map((m) => m.message_id)).toEqual(members.map((m) => m.messageId));
    expect(target.members[0]!.options).toEqual({
      store_results: true,
      group_pipe: {
        members: members.map((m) => ({ queue_name: "default", actor_name: "add", message_id: m.messageId })),
        pipe_target: last.toDict(),
      },
    });
    expect(first.options.pipe_target).toBeUndefined();
  });
});

describe("missing middleware", () => {
  test("a multi-step pipeline without Pipelines throws MiddlewareMissing at run() and enqueues nothing", async () => {
    const { broker } = setUp({ pipelines: false });
    const add = actor(function add(a: number, b: number) {
      return a + b;
    }, { broker });
    const error = await pipeline([add.message(1, 2), add.message(3)], { broker }).run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MiddlewareMissing);
    expect(error).toBeInstanceOf(QError);
    expect(error).toMatchObject({ middleware: "Pipelines", message: "A pipeline of 2 steps needs the Pipelines middleware on the broker: broker.addMiddleware(new Pipelines())." });
    expect((await broker.queueDepth("default")).pending).toBe(0);
    await pipeline([add.message(1, 2)], { broker }).run(); // one step needs nothing
    expect((await broker.queueDepth("default")).pending).toBe(1);
  });

  test("completion callbacks and group steps without GroupCallbacks throw MiddlewareMissing at run()", async () => {
    const { broker } = setUp({ groupCallbacks: false });
    const add = actor(function add(a: number, b: number) {
      return a + b;
    }, { broker });
    const g = group([add.message(1, 2)], { broker }).addCompletionCallback(add.message(0, 0));
    await expect(g.run()).rejects.toMatchObject({ name: "MiddlewareMissing", middleware: "GroupCallbacks" });
    await expect(pipeline([add.message(1, 2), group([add.message(1)], { broker })], { broker }).run()).rejects.toMatchObject({
      name: "MiddlewareMissing",
      middleware: "GroupCallbacks",
      message: "A pipeline with a group step needs the GroupCallbacks middleware on the broker: broker.addMiddleware(new GroupCallbacks(rateLimiterBackend)).",
    });
    expect((await broker.queueDepth("default")).pending).toBe(0);
  });

  test("result reads and group steps without Results throw MiddlewareMissing", async () => {
    const { broker } = setUp({ results: false });
    const add = actor(function add(a: number, b: number) {
      return a + b;
    }, { broker });
    const g = group([add.message(1, 2)], { broker });
    const p = pipeline([add.message(1, 2), add.message(3)], { broker });
    for (const call of [() => g.wait(), () => g.getResults(), () => g.completedCount(), () => g.completed(), () => p.getResult(), () => p.getResults(), () => p.completed()]) {
      await expect(call()).rejects.toMatchObject({ name: "MiddlewareMissing", middleware: "Results" });
    }
    await expect(g.asCompleted().next()).rejects.toBeInstanceOf(MiddlewareMissing);
    await expect(add.message(1, 2).getResult({ broker })).rejects.toBeInstanceOf(MiddlewareMissing);
    await expect(pipeline([add.message(1, 2), group([add.message(1)], { broker })], { broker }).run()).rejects.toMatchObject({ middleware: "Results" });
  });
});
