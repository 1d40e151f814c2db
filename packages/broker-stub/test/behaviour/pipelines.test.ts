/**
 * Dramatiq tests/test_composition.py (pipelines), spec 17.1 items 42–44, on the stub
 * without a results backend: actors record what they receive.
 */
import { ArgumentError, type Broker, CurrentMessage, type MessageProxy, Middleware, Pipeline, actor, group, pipeline } from "@q/core";
import { newBroker, startWorker, stopStartedWorkers } from "./harness";

afterEach(stopStartedWorkers);

test("each step's result is appended to the next step's arguments", async () => {
  const broker = newBroker();
  const recorded: number[] = [];
  const add = actor(function add(a: number, b = 0) {
    recorded.push(a + b);
    return a + b;
  }, { broker });
  await startWorker(broker);

  const pipe = pipeline([add.message(1, 2), add.message(3)], { broker });
  expect(pipe).toBeInstanceOf(Pipeline);
  expect(pipe.length).toBe(2);
  await pipe.run();
  await broker.join(add.queueName, { timeout: 5000 });

  expect(recorded).toEqual([3, 6]);
});

test("pipelines of pipelines are flattened, and later steps keep the message ids fixed at construction", async () => {
  const broker = newBroker();
  const seen: [string, number][] = [];
  // The parameter a pipeline fills in is optional, so steps can be built without it.
  const inc = actor(function inc(x?: number) {
    seen.push([CurrentMessage.getCurrentMessage()!.messageId, x!]);
    return x! + 1;
  }, { broker });
  await startWorker(broker);

  const inner = pipeline([inc.message(0), inc.message()], { broker });
  const pipe = pipeline([inner, inc.message(), inc.message()], { broker });
  expect(pipe.length).toBe(4);
  await pipe.run();
  await broker.join(inc.queueName, { timeout: 5000 });

  expect(seen.map(([, x]) => x)).toEqual([0, 1, 2, 3]);
  expect(seen.map(([id]) => id)).toEqual(pipe.messages.map((m) => m.messageId));
});

// 42. test_pipe_ignore_applies_to_receiving_message
test("pipeIgnore on a step means that step does not receive the previous result", async () => {
  const broker = newBroker();
  const received: unknown[][] = [];
  const returnArgs = actor(function returnArgs(...args: unknown[]) {
    received.push(args);
    return args;
  }, { broker });
  await startWorker(broker, { concurrency: 1 });

  await pipeline(
    [returnArgs.message(1), returnArgs.messageWithOptions({ args: [2], pipeIgnore: true }), returnArgs.message(3)],
    { broker },
  ).run();
  await broker.join(returnArgs.queueName, { timeout: 5000 });

  expect(received).toEqual([[1], [2], [3, [2]]]);
});

test("an undefined result is passed on as null (Python's None)", async () => {
  const broker = newBroker();
  const received: unknown[][] = [];
  const first = actor(function first() {}, { broker });
  const second = actor(function second(...args: unknown[]) {
    received.push(args);
  }, { broker });
  await startWorker(broker);

  await pipeline([first.message(), second.message("x")], { broker }).run();
  await broker.join("default", { timeout: 5000 });
  expect(received).toEqual([["x", null]]);
});

// 43. test_pipeline_does_not_continue_to_next_actor_when_message_is_marked_as_failed
test("a step marked failed stops the pipeline", async () => {
  const broker = newBroker();
  class FailMessageMiddleware extends Middleware {
    override afterProcessMessage(_broker: Broker, message: MessageProxy): void {
      message.fail();
    }
  }
  broker.addMiddleware(new FailMessageMiddleware());
  let hasRun = false;
  const doNothing = actor(function doNothing() {}, { broker });
  const shouldNeverRun = actor(function shouldNeverRun() {
    hasRun = true;
  }, { broker });
  await startWorker(broker);

  await pipeline([doNothing.message(), shouldNeverRun.messageWithOptions({ pipeIgnore: true })], { broker }).run();
  await broker.join(shouldNeverRun.queueName, { timeout: 5000, failFast: false });

  expect(hasRun).toBe(false);
  expect(broker.deadLetters.map((m) => m.actorName)).toEqual(["doNothing"]);
});

test("a step that fails for good stops the pipeline", async () => {
  const broker = newBroker();
  const ran: string[] = [];
  const fails = actor(function fails() {
    ran.push("fails");
    throw new Error("step failed");
  }, { broker, maxRetries: 1, minBackoff: 10, maxBackoff: 100 });
  const after = actor(function after() {
    ran.push("after");
  }, { broker });
  await startWorker(broker);

  await pipeline([fails.message(), after.message()], { broker }).run();
  await expect(broker.join("default", { timeout: 5000 })).rejects.toThrow("step failed");
  expect(ran).toEqual(["fails", "fails"]);
});

test("a step that fails once and then succeeds continues the pipeline", async () => {
  const broker = newBroker();
  const ran: unknown[] = [];
  let attempts = 0;
  const flaky = actor(function flaky() {
    if (attempts++ === 0) throw new Error("once");
    return "ok";
  }, { broker, minBackoff: 10, maxBackoff: 100 });
  const after = actor(function after(value?: string) {
    ran.push(value);
  }, { broker });
  await startWorker(broker);

  await pipeline([flaky.message(), after.message()], { broker }).run();
  await broker.join("default", { timeout: 5000 });
  expect(ran).toEqual(["ok"]);
});

// 44. test_pipeline_respects_bigger_of_first_messages_and_pipelines_delay
test.each([
  { messageDelay: 300, pipelineDelay: 100, expected: 300 },
  { messageDelay: 100, pipelineDelay: 300, expected: 300 },
])("the first message is enqueued after the bigger of its delay ($messageDelay) and the pipeline's ($pipelineDelay)", async ({
  messageDelay,
  pipelineDelay,
  expected,
}) => {
  const broker = newBroker();
  const doNothing = actor(function doNothing() {}, { broker });
  const pipe = pipeline([doNothing.messageWithOptions({ delay: messageDelay }), doNothing.messageWithOptions({ pipeIgnore: true })], { broker });

  const before = Date.now();
  await pipe.run({ delay: pipelineDelay });
  const after = Date.now();

  const consumer = broker.consume("default.DQ", { timeout: 50 });
  const enqueued = (await consumer.next())!;
  await consumer.close();
  expect(enqueued.messageId).toBe(pipe.messages[0]!.messageId);
  expect(enqueued.options.eta).toBeGreaterThanOrEqual(before + expected);
  expect(enqueued.options.eta).toBeLessThanOrEqual(after + expected);
  // Nothing went to the queue itself.
  const direct = broker.consume("default", { timeout: 20 });
  expect(await direct.next()).toBeNull();
  await direct.close();
});

test("a later step's own delay is honoured when the pipeline reaches it", async () => {
  const broker = newBroker();
  const times: number[] = [];
  const stamp = actor(function stamp(..._args: unknown[]) {
    times.push(Date.now());
  }, { broker });
  await startWorker(broker);

  await pipeline([stamp.message(), stamp.messageWithOptions({ delay: 150 })], { broker }).run();
  await broker.join("default", { timeout: 5000 });
  expect(times).toHaveLength(2);
  expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(145);
});

test("pipelines take messages, pipelines and groups of messages", () => {
  const broker = newBroker();
  const a = actor(function a() {}, { broker });
  expect(() => pipeline([], { broker })).toThrow(ArgumentError);
  expect(() => pipeline([group([a.message()], { broker })], { broker })).not.toThrow();
  expect(() => pipeline([group([group([a.message()], { broker })], { broker })], { broker })).toThrow(ArgumentError);
});
