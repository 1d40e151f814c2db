/**
 * Dramatiq tests/test_callbacks.py, spec 17.1 item 37 (plus on_success / on_failure basics).
 */
import { ActorDefinitionError, ArgumentError, type MessageData, actor } from "@q/core";
import { capturingBroker, newBroker, startWorker, stopStartedWorkers } from "./harness";

afterEach(stopStartedWorkers);

test("onSuccess is sent the message and the result", async () => {
  const broker = newBroker();
  const received: [MessageData, unknown][] = [];
  const success = actor(function success(message: MessageData, result: unknown) {
    received.push([message, result]);
  }, { broker });
  const add = actor(function add(a: number, b: number) {
    return a + b;
  }, { broker, onSuccess: success });

  await startWorker(broker);
  const sent = await add.send(1, 2);
  await broker.join(add.queueName, { timeout: 5000 });

  expect(received).toHaveLength(1);
  expect(received[0]![1]).toBe(3);
  expect(received[0]![0]).toEqual({ ...sent.toDict(), options: { ...sent.options } });
  expect(Object.keys(received[0]![0])).toEqual([
    "queue_name",
    "actor_name",
    "args",
    "kwargs",
    "options",
    "message_id",
    "message_timestamp",
  ]);
});

test("onFailure is sent the message and { type, message } of the error", async () => {
  const broker = newBroker();
  class PaymentError extends Error {
    override name = "PaymentError";
  }
  const received: [MessageData, unknown][] = [];
  const failure = actor(function failure(message: MessageData, error: unknown) {
    received.push([message, error]);
  }, { broker });
  const charge = actor(function charge(_cents: number) {
    throw new PaymentError("card declined");
  }, { broker, maxRetries: 0 });

  await startWorker(broker);
  const sent = await charge.sendWithOptions({ args: [100], onFailure: failure });
  await broker.join(charge.queueName, { timeout: 5000, failFast: false });

  expect(received).toEqual([
    [expect.objectContaining({ message_id: sent.messageId, args: [100] }), { type: "PaymentError", message: "card declined" }],
  ]);
});

// 37. test_actor_callback_knows_correct_number_of_retries
test("onFailure fires after every attempt and sees the retry count already incremented", async () => {
  const broker = newBroker();
  const maxRetries = 3;
  const retriesSeen: unknown[] = [];
  const onFail = actor(function onFail(message: MessageData, _error: unknown) {
    retriesSeen.push(message.options.retries);
  }, { broker });
  let attempts = 0;
  const shouldFail = actor(function shouldFail() {
    attempts++;
    throw new Error("failure");
  }, { broker, maxRetries, minBackoff: 10, maxBackoff: 100, onFailure: onFail });

  await startWorker(broker);
  await shouldFail.send();
  await broker.join(shouldFail.queueName, { timeout: 5000, failFast: false });

  expect(attempts).toBe(maxRetries + 1);
  expect(retriesSeen.sort()).toEqual([1, 2, 3, 4]);
});

test("a message-level callback overrides the actor's; callbacks accept actor names", async () => {
  const broker = newBroker();
  const calls: string[] = [];
  actor(function viaActor(_m: MessageData, _r: unknown) {
    calls.push("actor");
  }, { broker });
  actor(function viaMessage(_m: MessageData, _r: unknown) {
    calls.push("message");
  }, { broker });
  const work = actor(function work() {
    return 1;
  }, { broker, onSuccess: "viaActor" });

  await startWorker(broker);
  await work.sendWithOptions({ onSuccess: "viaMessage" });
  await broker.join(work.queueName, { timeout: 5000 });
  await work.send();
  await broker.join(work.queueName, { timeout: 5000 });

  expect(calls).toEqual(["message", "actor"]);
});

test("skipped messages trigger neither callback", async () => {
  const broker = newBroker();
  const calls: string[] = [];
  const cb = actor(function cb(_m: MessageData, _r: unknown) {
    calls.push("cb");
  }, { broker });
  const work = actor(function work() {}, { broker, maxAge: 1, onSuccess: cb, onFailure: cb });

  await startWorker(broker);
  await work.sendWithOptions({ delay: 20 });
  await broker.join(work.queueName, { timeout: 5000, failFast: false });

  expect(calls).toEqual([]);
  expect(broker.deadLetters).toHaveLength(1);
});

test("a callback naming an undeclared actor is logged with the message id and not sent; the message itself succeeds", async () => {
  const { broker, find } = capturingBroker();
  let ran = 0;
  const add = actor(function add(a: number, b: number) {
    ran++;
    return a + b;
  }, { broker, onSuccess: "nobody_declared_me" });

  await startWorker(broker);
  const sent = await add.send(1, 2);
  await broker.join(add.queueName, { timeout: 5000 });

  expect(ran).toBe(1);
  expect(find(50 /* error */, `Callback actor "nobody_declared_me" of message ${sent.messageId} is not declared; the callback is not sent.`)).toHaveLength(1);
  expect(broker.deadLetters).toHaveLength(0);
});

test("callbacks must be actors or actor names", () => {
  const broker = newBroker();
  expect(() => actor(function a() {}, { broker, onSuccess: 42 as never })).toThrow(ActorDefinitionError);
  const b = actor(function b() {}, { broker });
  expect(() => b.messageWithOptions({ onFailure: {} as never })).toThrow(ArgumentError);
  expect(b.messageWithOptions({ onSuccess: b }).options).toEqual({ on_success: "b" });
});
