/**
 * A message whose positional arguments do not fit the actor's parameters fails, as Python
 * Dramatiq fails it with a TypeError: the attempt fails with ArgumentError, the retry
 * policy retries it and then it is dead-lettered. Defaults, rest parameters, destructuring
 * and acceptKwargs keep working with every count they accept.
 */
import { ArgumentError, type Broker, Message, type MessageProxy, Middleware, type ProcessOutcome, actor } from "@q/core";
import { capturingBroker, newBroker, startWorker, stopStartedWorkers } from "./harness";

afterEach(stopStartedWorkers);

/** Every processed attempt: the message id and the error it failed with, if any. */
class Attempts extends Middleware {
  readonly seen: { id: string; exception: unknown }[] = [];
  override afterProcessMessage(_broker: Broker, message: MessageProxy, { exception }: ProcessOutcome): void {
    this.seen.push({ id: message.messageId, exception });
  }
}

const message = (actorName: string, args: unknown[], kwargs: Record<string, unknown> = {}) =>
  new Message({ queueName: "default", actorName, args, kwargs });

describe.each([
  ["too many", [1, 2, 3], "Actor 'add' takes 2 positional arguments but message %id has 3."],
  ["too few", [1], "Actor 'add' takes 2 positional arguments but message %id has 1. (A TypeScript optional parameter"],
])("%s positional arguments", (_label, args, text) => {
  test("fail every attempt with ArgumentError, are retried per the policy and then dead-lettered, never running the actor", async () => {
    const { broker, find } = capturingBroker();
    const attempts = new Attempts();
    broker.addMiddleware(attempts);
    let calls = 0;
    actor(function add(_a: number, _b: number) {
      calls++;
    }, { broker, maxRetries: 2, minBackoff: 10, maxBackoff: 20 });
    await startWorker(broker);

    const sent = await broker.enqueue(message("add", args));
    const error = await broker.join("default", { timeout: 5000 }).catch((e: unknown) => e);

    expect(calls).toBe(0);
    // maxRetries: 2 means 3 attempts, each failing with the same ArgumentError.
    expect(attempts.seen.map((a) => a.id)).toEqual([sent.messageId, sent.messageId, sent.messageId]);
    for (const { exception } of attempts.seen) expect(exception).toBeInstanceOf(ArgumentError);
    expect(error).toBeInstanceOf(ArgumentError);
    expect(broker.deadLetters.map((m) => m.messageId)).toEqual([sent.messageId]);
    expect(find(30, `Retrying message '${sent.messageId}'`)).toHaveLength(2);
    expect(find(40, `Retries exceeded for message '${sent.messageId}'`)).toHaveLength(1);

    const expected = text.replace("%id", sent.messageId);
    const lines = find(50, "Failed to process message");
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line.msg.startsWith(`Failed to process message add(${args.join(", ")}) with ArgumentError: ${expected}`)).toBe(true);
      expect(line.err?.type).toBe("ArgumentError");
    }
  });
});

test("actors with defaults, rest and destructured parameters run with every count they accept, and fail with the others", async () => {
  const broker = newBroker();
  const attempts = new Attempts();
  broker.addMiddleware(attempts);
  const ran: [string, unknown[]][] = [];
  actor(function withDefaults(a: number, b = 10, c = "c") {
    ran.push(["withDefaults", [a, b, c]]);
  }, { broker, maxRetries: 0 });
  actor(function withRest(a: number, ...rest: number[]) {
    ran.push(["withRest", [a, rest]]);
  }, { broker, maxRetries: 0 });
  actor(function destructured({ x }: { x: number }, [y]: number[]) {
    ran.push(["destructured", [x, y]]);
  }, { broker, maxRetries: 0 });
  actor((...all: unknown[]) => {
    ran.push(["anything", all]);
  }, { broker, actorName: "anything", maxRetries: 0 });
  await startWorker(broker, { concurrency: 1 });

  const ok = [
    message("withDefaults", [1]),
    message("withDefaults", [1, 2]),
    message("withDefaults", [1, 2, "z"]),
    message("withRest", [1]),
    message("withRest", [1, 2, 3, 4, 5]),
    message("destructured", [{ x: 1 }, [2]]),
    message("anything", []),
    message("anything", [1, 2, 3, 4, 5, 6, 7]),
  ];
  const bad = [message("withDefaults", []), message("withDefaults", [1, 2, 3, 4]), message("withRest", []), message("destructured", [{ x: 1 }])];
  for (const m of [...ok, ...bad]) await broker.enqueue(m);
  await broker.join("default", { timeout: 5000, failFast: false });

  expect(ran).toEqual([
    ["withDefaults", [1, 10, "c"]],
    ["withDefaults", [1, 2, "c"]],
    ["withDefaults", [1, 2, "z"]],
    ["withRest", [1, []]],
    ["withRest", [1, [2, 3, 4, 5]]],
    ["destructured", [1, 2]],
    ["anything", []],
    ["anything", [1, 2, 3, 4, 5, 6, 7]],
  ]);
  expect(attempts.seen.filter((a) => a.exception !== undefined).map((a) => a.id)).toEqual(bad.map((m) => m.messageId));
  for (const a of attempts.seen) if (a.exception !== undefined) expect(a.exception).toBeInstanceOf(ArgumentError);
  expect(broker.deadLetters.map((m) => m.messageId)).toEqual(bad.map((m) => m.messageId));
  expect((attempts.seen.find((a) => a.id === bad[1]!.messageId)!.exception as Error).message).toBe(
    `Actor 'withDefaults' takes 1 to 3 positional arguments but message ${bad[1]!.messageId} has 4.`,
  );
  expect((attempts.seen.find((a) => a.id === bad[2]!.messageId)!.exception as Error).message).toMatch(
    new RegExp(`^Actor 'withRest' takes at least 1 positional argument but message ${bad[2]!.messageId} has 0\\.`),
  );
});

test("acceptKwargs: the kwargs object takes the last parameter's place, so defaults before it apply, and the count is checked", async () => {
  const broker = newBroker();
  const attempts = new Attempts();
  broker.addMiddleware(attempts);
  const ran: unknown[][] = [];
  const greet = actor(function greet(name: string, greeting = "Hello", kwargs: { punctuation?: string } = {}) {
    ran.push([name, greeting, kwargs]);
  }, { broker, acceptKwargs: true, maxRetries: 0 });
  actor(function strict(name: string, kwargs: Record<string, unknown>) {
    ran.push([name, kwargs]);
  }, { broker, acceptKwargs: true, maxRetries: 0 });
  await startWorker(broker, { concurrency: 1 });

  await greet.send("Ada");
  await greet.sendWithOptions({ args: ["Bob", "Hi"], kwargs: { punctuation: "!" } });
  await broker.enqueue(message("greet", ["Cy"], { punctuation: "?" }));
  await broker.enqueue(message("strict", ["Di"], { a: 1 }));
  const bad = [message("greet", []), message("greet", ["Ed", "Yo", "extra"]), message("strict", []), message("strict", ["Fa", "extra"])];
  for (const m of bad) await broker.enqueue(m);
  await broker.join("default", { timeout: 5000, failFast: false });

  expect(ran).toEqual([
    ["Ada", "Hello", {}],
    ["Bob", "Hi", { punctuation: "!" }],
    ["Cy", "Hello", { punctuation: "?" }],
    ["Di", { a: 1 }],
  ]);
  expect(attempts.seen.filter((a) => a.exception !== undefined).map((a) => (a.exception as Error).message)).toEqual([
    expect.stringMatching(/^Actor 'greet' takes 1 to 2 positional arguments but message .* has 0\./),
    expect.stringMatching(/^Actor 'greet' takes 1 to 2 positional arguments but message .* has 3\.$/),
    expect.stringMatching(/^Actor 'strict' takes 1 positional argument but message .* has 0\./),
    expect.stringMatching(/^Actor 'strict' takes 1 positional argument but message .* has 2\.$/),
  ]);
  expect(broker.deadLetters.map((m) => m.messageId)).toEqual(bad.map((m) => m.messageId));
  // Inline calls place the kwargs the same way.
  ran.length = 0;
  void greet("Gus");
  expect(ran).toEqual([["Gus", "Hello", {}]]);
});

test("a send with fewer arguments than the worker requires rejects at once with ArgumentError and enqueues nothing (a TypeScript optional parameter is required at run time); more are the worker's to refuse", async () => {
  const broker = newBroker();
  const enqueued: string[] = [];
  broker.addMiddleware(new (class extends Middleware {
    override afterEnqueue(_broker: Broker, m: Message): void {
      enqueued.push(m.actorName);
    }
  })());
  const greet = actor(function greet(_name: string, _greeting?: string) {}, { broker });
  const withDefault = actor(function withDefault(_name: string, _greeting: string | undefined = undefined) {}, { broker });

  const error = await greet.send("ada").then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ArgumentError);
  expect((error as Error).message).toBe(
    "Actor 'greet' takes 2 positional arguments but was sent 1. (A TypeScript optional parameter `b?: T` is a required one at run time; give it a default, `b: T | undefined = undefined`, to make it optional.)",
  );
  await expect(greet.sendWithOptions({ args: ["ada"] as never })).rejects.toBeInstanceOf(ArgumentError);
  expect(enqueued).toEqual([]);

  // Too many are left to the worker: a producer's stand-in may take fewer parameters.
  const standIn = actor<(payload: { id: number }) => Promise<void>>(async function standIn() {}, { broker });
  await standIn.send({ id: 1 });
  await withDefault.send("ada");
  await greet.send("ada", "hi");
  expect(enqueued).toEqual(["standIn", "withDefault", "greet"]);
  // message() builds a prefix for pipelines (the previous result comes last): not checked.
  expect(greet.message("ada").args).toEqual(["ada"]);
});
