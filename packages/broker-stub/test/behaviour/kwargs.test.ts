/**
 * Keyword arguments from Python producers (spec 1, 15): JavaScript functions have no keyword
 * parameters, so an actor opts in with acceptKwargs and gets the kwargs object as its last
 * argument; otherwise a message carrying kwargs is dead-lettered with ArgumentError, not retried.
 */
import { ArgumentError, actor } from "@q/core";
import { randomUUID } from "node:crypto";
import { EnqueueRecorder, capturingBroker, newBroker, startWorker, stopStartedWorkers } from "./harness";

afterEach(stopStartedWorkers);

/** Bytes as Python's Dramatiq writes them (`json.dumps(..., separators=(",", ":"))`). */
function pythonMessage(actorName: string, args: unknown[], kwargs: Record<string, unknown>): { id: string; bytes: Buffer } {
  const id = randomUUID();
  const body = { queue_name: "default", actor_name: actorName, args, kwargs, options: {}, message_id: id, message_timestamp: Date.now() };
  return { id, bytes: Buffer.from(JSON.stringify(body)) };
}

test("kwargs sent to an actor without acceptKwargs dead-letter the message with ArgumentError, without retries", async () => {
  const { broker, logs } = capturingBroker();
  const recorder = new EnqueueRecorder();
  broker.addMiddleware(recorder);
  let calls = 0;
  actor(function greet(_name: string) {
    calls++;
  }, { broker, minBackoff: 10, maxBackoff: 100 });
  await startWorker(broker);

  const { id, bytes } = pythonMessage("greet", ["Ada"], { greeting: "Hi" });
  broker.enqueueRaw("default", bytes);
  const error = await broker.join("default", { timeout: 5000 }).catch((e: unknown) => e);

  expect(error).toBeInstanceOf(ArgumentError);
  expect((error as Error).message).toMatch(/greeting/);
  expect(calls).toBe(0);
  expect(recorder.enqueued).toEqual([]);
  expect(broker.deadLetters.map((m) => m.messageId)).toEqual([id]);
  // The dead letter keeps the bytes as the producer wrote them.
  expect(broker.deadLetters[0]!.raw).toEqual(bytes);
  expect(logs.some((l) => l.msg.startsWith("Retrying message"))).toBe(false);
});

test("empty kwargs from Python are fine for any actor", async () => {
  const broker = newBroker();
  const seen: unknown[][] = [];
  actor(function add(a: number, b: number) {
    seen.push([a, b]);
  }, { broker });
  await startWorker(broker);

  broker.enqueueRaw("default", pythonMessage("add", [1, 2], {}).bytes);
  await broker.join("default", { timeout: 5000 });
  expect(seen).toEqual([[1, 2]]);
});

test("with acceptKwargs the kwargs object arrives as the last argument", async () => {
  const broker = newBroker();
  const seen: unknown[][] = [];
  const greet = actor(function greet(name: string, kwargs: { greeting?: string; punctuation?: string }) {
    seen.push([name, kwargs]);
  }, { broker, acceptKwargs: true });
  await startWorker(broker, { concurrency: 1 });

  broker.enqueueRaw("default", pythonMessage("greet", ["Ada"], { greeting: "Hi", punctuation: "!" }).bytes);
  await broker.join("default", { timeout: 5000 });
  await greet.send("Bob");
  await broker.join("default", { timeout: 5000 });
  await greet.sendWithOptions({ args: ["Cy"], kwargs: { greeting: "Hey" } });
  await broker.join("default", { timeout: 5000 });

  expect(seen).toEqual([
    ["Ada", { greeting: "Hi", punctuation: "!" }],
    ["Bob", {}],
    ["Cy", { greeting: "Hey" }],
  ]);
});

test("producers cannot send kwargs to an actor that does not accept them", () => {
  const broker = newBroker();
  const greet = actor(function greet(_name: string) {}, { broker });
  expect(() => greet.messageWithOptions({ args: ["Ada"], kwargs: { greeting: "Hi" } as never })).toThrow(ArgumentError);
});

test("kwargs are written on the wire as Dramatiq's kwargs field", async () => {
  const broker = newBroker();
  const greet = actor(function greet(_name: string, _kwargs: { greeting: string }) {}, { broker, acceptKwargs: true });
  const message = greet.messageWithOptions({ args: ["Ada"], kwargs: { greeting: "Hi" } });
  const wire = JSON.parse(message.encode().toString()) as Record<string, unknown>;
  expect(wire.args).toEqual(["Ada"]);
  expect(wire.kwargs).toEqual({ greeting: "Hi" });
  expect(message.toString()).toBe("greet('Ada', greeting='Hi')");
});
