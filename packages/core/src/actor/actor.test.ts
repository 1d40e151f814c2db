import pino from "pino";
import { RecordingBroker } from "../../test/support/RecordingBroker";
import { actor } from "./declareActor";
import { ActorDefinitionError } from "../errors/ActorDefinitionError";
import { ArgumentError } from "../errors/ArgumentError";
import { EncodeError } from "../errors/EncodeError";
import { QError } from "../errors/QError";
import { Message } from "../message/Message";
import { Middleware } from "../middleware/Middleware";

/** Runs `send` and returns what it failed with (a synchronous throw or a rejection). */
async function sendFailure(send: () => unknown): Promise<Error> {
  try {
    await send();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the send to fail");
}

const NOW = 1_800_000_000_000;

let broker: RecordingBroker;
beforeEach(() => {
  broker = new RecordingBroker();
});
afterEach(() => jest.restoreAllMocks());

describe("actor() names", () => {
  it("takes the function's name", () => {
    const add = actor(function add(a: number, b: number) {
      return a + b;
    }, { broker });
    expect(add.actorName).toBe("add");
    expect(add.name).toBe("add");
    expect(String(add)).toBe("Actor(add)");
  });

  it("accepts non-ASCII letters, as Python identifiers do", () => {
    expect(actor(function café() {}, { broker }).actorName).toBe("café");
  });

  it("takes the name of a const-assigned arrow function", () => {
    const double = (n: number) => n * 2;
    expect(actor(double, { broker }).actorName).toBe("double");
  });

  it("prefers the actorName option", () => {
    const f = actor(() => 1, { broker, actorName: "tasks.compute:v2-final" });
    expect(f.actorName).toBe("tasks.compute:v2-final");
    expect(broker.getActor("tasks.compute:v2-final")).toBe(f);
  });

  it("rejects an anonymous function without actorName", () => {
    expect(() => actor(() => 1, { broker })).toThrow(ActorDefinitionError);
    expect(() => actor(() => 1, { broker })).toThrow(/actorName/);
  });

  it.each([
    ["a bound function", { name: "bound f" }],
    ["a name with spaces", { actorName: "send email" }],
    ["a name starting with a digit", { actorName: "1st" }],
    ["a name with a slash", { actorName: "a/b" }],
    ["an empty actorName", { actorName: "" }],
  ])("rejects %s", (_label, spec) => {
    function f() {}
    const fn = "name" in spec ? f.bind(null) : f;
    if ("name" in spec) expect(fn.name).toBe(spec.name);
    const options = "actorName" in spec ? { broker, actorName: spec.actorName } : { broker };
    expect(() => actor(fn, options)).toThrow(ActorDefinitionError);
    expect(broker.actors.size).toBe(0);
  });

  it("rejects a second actor with the same name on the same broker", () => {
    actor(function task() {}, { broker });
    expect(() => actor(function task() {}, { broker })).toThrow(ActorDefinitionError);
    expect(() => actor(function other() {}, { broker, actorName: "task" })).toThrow(/already registered/);
  });

  it("allows the same name on another broker", () => {
    actor(function task() {}, { broker });
    expect(() => actor(function task() {}, { broker: new RecordingBroker() })).not.toThrow();
  });

  it("rejects something that is not a function", () => {
    expect(() => actor("nope" as never, { broker })).toThrow(ActorDefinitionError);
  });
});

describe("actor() queue names", () => {
  it("defaults to the default queue and declares it with its delay queue", () => {
    const f = actor(function f() {}, { broker });
    expect(f.queueName).toBe("default");
    expect(broker.getDeclaredQueues()).toEqual(["default"]);
    expect(broker.getDeclaredDelayQueues()).toEqual(["default.DQ"]);
  });

  it.each(["emails", "_private", "a.b-c_d9", "Q"])("accepts %j", (queueName) => {
    expect(actor(function f() {}, { broker, queueName }).queueName).toBe(queueName);
  });

  it.each(["", "1abc", "-a", ".a", "has space", "a/b", "a:b", "é", "tab\t"])("rejects %j", (queueName) => {
    expect(() => actor(function f() {}, { broker, queueName })).toThrow(ActorDefinitionError);
    expect(broker.queues.size).toBe(0);
  });

  it.each(["jobs.DQ", "jobs.XQ"])("rejects %j, reserved for delay and dead-letter queues", (queueName) => {
    expect(() => actor(function f() {}, { broker, queueName })).toThrow(/\.DQ or \.XQ/);
  });
});

describe("actor() options", () => {
  it("rejects unknown options, listing the valid ones", () => {
    let error: unknown;
    try {
      actor(function f() {}, { broker, maxRetires: 3, colour: "red" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ActorDefinitionError);
    const message = (error as Error).message;
    expect(message).toContain("maxRetires");
    expect(message).toContain("colour");
    for (const valid of ["maxRetries", "minBackoff", "maxBackoff", "retryWhen", "throws", "onRetryExhausted", "timeLimit", "maxAge", "notifyShutdown", "onSuccess", "onFailure", "pipeIgnore"]) {
      expect(message).toContain(valid);
    }
  });

  it("rejects snake_case spellings of options", () => {
    expect(() => actor(function f() {}, { broker, max_retries: 3 })).toThrow(ActorDefinitionError);
  });

  it.each<[string, Record<string, unknown>]>([
    ["maxRetries -1", { maxRetries: -1 }],
    ["maxRetries 1.5", { maxRetries: 1.5 }],
    ["maxRetries '3'", { maxRetries: "3" }],
    ["minBackoff -1", { minBackoff: -1 }],
    ["maxBackoff NaN", { maxBackoff: NaN }],
    ["timeLimit 0", { timeLimit: 0 }],
    ["timeLimit -5", { timeLimit: -5 }],
    ["maxAge -1", { maxAge: -1 }],
    ["throws a string", { throws: "TypeError" }],
    ["throws an array holding a non-class", { throws: [TypeError, 1] }],
    ["retryWhen not a function", { retryWhen: true }],
    ["onSuccess a number", { onSuccess: 5 }],
    ["priority 1.5", { priority: 1.5 }],
  ])("rejects an invalid value: %s", (_label, options) => {
    expect(() => actor(function f() {}, { broker, ...options })).toThrow(ActorDefinitionError);
    expect(broker.actors.size).toBe(0);
  });

  it("accepts valid middleware options and keeps them, camelCase, on the actor only", async () => {
    class Expected extends Error {}
    const retryWhen = () => true;
    const f = actor(function f() {}, {
      broker,
      maxRetries: 3,
      minBackoff: 0,
      timeLimit: Infinity,
      maxAge: null,
      throws: [Expected],
      retryWhen,
      priority: 5,
    });
    expect(f.priority).toBe(5);
    expect(f.options).toEqual({ maxRetries: 3, minBackoff: 0, timeLimit: Infinity, maxAge: null, throws: [Expected], retryWhen });
    expect(Object.isFrozen(f.options)).toBe(true);
    const sent = await f.send();
    expect(sent.options).toEqual({});
  });

  it("turns an actor given as onSuccess/onFailure/onRetryExhausted into its name", () => {
    const done = actor(function done() {}, { broker });
    const f = actor(function f() {}, { broker, onSuccess: done, onFailure: "failed", onRetryExhausted: done });
    expect(f.options).toEqual({ onSuccess: "done", onFailure: "failed", onRetryExhausted: "done" });
  });

  it("accepts the options of an added middleware", () => {
    class Audit extends Middleware {
      override readonly actorOptions = ["auditLevel"];
    }
    broker.addMiddleware(new Audit());
    expect(actor(function f() {}, { broker, auditLevel: 1 }).options).toEqual({ auditLevel: 1 });
  });

  it("lets middleware validate their own options", () => {
    class Strict extends Middleware {
      override readonly actorOptions = ["level"];
      override validateActorOptions(options: Readonly<Record<string, unknown>>): string[] {
        return options.level === "bad" ? ["level must not be bad"] : [];
      }
    }
    broker.addMiddleware(new Strict());
    expect(() => actor(function f() {}, { broker, level: "bad" })).toThrow(/level must not be bad/);
  });
});

describe("actor() broker", () => {
  it("without a global broker or a broker option throws a QError saying what to do", () => {
    let error: unknown;
    try {
      actor(function f() {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(QError);
    expect((error as Error).message).toMatch(/setBroker/);
    expect((error as Error).message).toMatch(/broker/);
  });

  it("registers the actor on the broker given", () => {
    const f = actor(function f() {}, { broker });
    expect(f.broker).toBe(broker);
    expect(broker.actors.get("f")).toBe(f);
  });
});

describe("calling an actor", () => {
  it("runs the function inline and returns its value", () => {
    const add = actor(function add(a: number, b: number) {
      return a + b;
    }, { broker });
    expect(add(1, 2)).toBe(3);
    expect(broker.published).toEqual([]);
  });

  it("returns an async function's promise", async () => {
    const later = actor(async function later(x: string) {
      return x.toUpperCase();
    }, { broker });
    await expect(later("a")).resolves.toBe("A");
  });

  it("passes an empty kwargs object to an acceptKwargs actor", () => {
    const seen: unknown[] = [];
    const f = actor(function f(a: number, kwargs: Record<string, unknown>) {
      seen.push(a, kwargs);
    }, { broker, acceptKwargs: true });
    void f(1);
    expect(seen).toEqual([1, {}]);
  });

  it("runs inline with values a message could not carry (BigInt, cycles)", () => {
    const echo = actor(function echo(value: unknown) {
      return value;
    }, { broker });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const debugBroker = new RecordingBroker({ logger: pino({ level: "debug" }, { write: () => undefined }) });
    const loud = actor(function loud(value: unknown) {
      return value;
    }, { broker: debugBroker });
    for (const f of [echo, loud]) {
      expect(f(10n)).toBe(10n);
      expect(f(cycle)).toBe(cycle);
    }
  });

  it("lets errors through", () => {
    const boom = actor(function boom() {
      throw new RangeError("boom");
    }, { broker });
    expect(() => boom()).toThrow(RangeError);
  });
});

describe("actor.send", () => {
  it("rejects its promise on a bad argument instead of throwing synchronously", async () => {
    const f = actor(function f(_x: unknown) {}, { broker });
    let returned: Promise<unknown> | undefined;
    expect(() => {
      returned = f.send(1n);
    }).not.toThrow();
    await expect(returned).rejects.toBeInstanceOf(EncodeError);
    await expect(f.sendWithOptions({ args: [1], delay: -5 })).rejects.toBeInstanceOf(ArgumentError);
    expect(broker.published).toHaveLength(0);
  });

  it("rejects an enqueue whose delay is not a non-negative number", async () => {
    const f = actor(function f() {}, { broker });
    await expect(broker.enqueue(f.message(), { delay: Number.NaN })).rejects.toBeInstanceOf(ArgumentError);
    await expect(broker.enqueue(f.message(), { delay: -1 })).rejects.toBeInstanceOf(ArgumentError);
    expect(broker.published).toHaveLength(0);
  });

  it("resolves to the enqueued message", async () => {
    const add = actor(function add(a: number, b: number) {
      return a + b;
    }, { broker, queueName: "math" });
    const before = Date.now();
    const sent = await add.send(1, 2);
    expect(sent).toBeInstanceOf(Message);
    expect(broker.published).toEqual([sent]);
    expect(sent.toDict()).toMatchObject({ queue_name: "math", actor_name: "add", args: [1, 2], kwargs: {}, options: {} });
    expect(sent.messageTimestamp).toBeGreaterThanOrEqual(before);
    expect(String(sent)).toBe("add(1, 2)");
  });

  it("gives each message its own id", async () => {
    const f = actor(function f() {}, { broker });
    const [a, b] = [await f.send(), await f.send()];
    expect(a.messageId).not.toBe(b.messageId);
  });

  it("message() builds the same message without enqueueing", () => {
    const add = actor(function add(a: number, b: number) {
      return a + b;
    }, { broker });
    const m = add.message(1, 2);
    expect(m.toDict()).toMatchObject({ queue_name: "default", actor_name: "add", args: [1, 2], kwargs: {}, options: {} });
    expect(broker.published).toEqual([]);
  });
});

describe("actor.sendWithOptions", () => {
  it("with a delay puts the message on <queue>.DQ with an integer eta, not a delay option", async () => {
    jest.spyOn(Date, "now").mockReturnValue(NOW);
    const f = actor(function f(x: number) {
      return x;
    }, { broker, queueName: "jobs" });
    const sent = await f.sendWithOptions({ args: [1], delay: 1500.7 });
    expect(sent.queueName).toBe("jobs.DQ");
    expect(sent.options).toEqual({ eta: NOW + 1500 });
    expect(Number.isInteger(sent.options.eta)).toBe(true);
    expect(sent.messageTimestamp).toBe(NOW);
    expect(broker.published).toEqual([sent]);
  });

  it("without a delay stays on the queue", async () => {
    const f = actor(function f() {}, { broker, queueName: "jobs" });
    const sent = await f.sendWithOptions({});
    expect(sent.queueName).toBe("jobs");
    expect(sent.options).toEqual({});
  });

  it.each([-1, NaN, Infinity, "10"])("rejects the delay %p", async (delay) => {
    const f = actor(function f() {}, { broker });
    const error = await sendFailure(() => f.sendWithOptions({ delay: delay as number }));
    expect(error).toBeInstanceOf(ArgumentError);
    expect(broker.published).toEqual([]);
  });

  it("writes camelCase options as snake_case wire keys", async () => {
    const f = actor(function f() {}, { broker });
    const sent = await f.sendWithOptions({
      maxRetries: 3,
      minBackoff: 100,
      maxBackoff: 1000,
      timeLimit: 5000,
      maxAge: 60_000,
      notifyShutdown: true,
      pipeIgnore: true,
      brokerPriority: 5,
      onRetryExhausted: "gave_up",
    });
    expect(sent.options).toEqual({
      max_retries: 3,
      min_backoff: 100,
      max_backoff: 1000,
      time_limit: 5000,
      max_age: 60_000,
      notify_shutdown: true,
      pipe_ignore: true,
      broker_priority: 5,
      on_retry_exhausted: "gave_up",
    });
    expect(sent.encode().toString()).toContain('"options":{"max_retries":3,"min_backoff":100,');
  });

  it("skips options given as undefined and keeps null", async () => {
    const f = actor(function f() {}, { broker });
    const sent = await f.sendWithOptions({ maxRetries: undefined, maxAge: null });
    expect(sent.options).toEqual({ max_age: null });
  });

  it("writes 'no time limit' (timeLimit null or Infinity) as Python's Infinity, which a Python worker also reads as no limit (null would mean its default, 10 minutes)", async () => {
    const f = actor(function f() {}, { broker });
    for (const timeLimit of [null, Infinity]) {
      const sent = await f.sendWithOptions({ timeLimit });
      expect(sent.options).toEqual({ time_limit: Infinity });
      expect(sent.encode().toString()).toContain('"options":{"time_limit":Infinity}');
    }
  });

  it("turns an actor given as onSuccess or onFailure into its name", async () => {
    const done = actor(function done() {}, { broker });
    const f = actor(function f() {}, { broker });
    const sent = await f.sendWithOptions({ onSuccess: done, onFailure: "failed" });
    expect(sent.options).toEqual({ on_success: "done", on_failure: "failed" });
  });

  it("rejects an onSuccess that is neither an actor nor a name", async () => {
    const f = actor(function f() {}, { broker });
    const error = await sendFailure(() => f.sendWithOptions({ onSuccess: { actorName: 1 } as never }));
    expect(error).toBeInstanceOf(ArgumentError);
    expect(broker.published).toEqual([]);
  });

  it.each<[string, Record<string, unknown>]>([
    ["retryWhen", { retryWhen: () => true }],
    ["throws", { throws: TypeError }],
  ])("rejects %s, which cannot travel in a message", async (key, options) => {
    const f = actor(function f() {}, { broker });
    const error = await sendFailure(() => f.sendWithOptions(options));
    expect(error).toBeInstanceOf(ArgumentError);
    expect(error.message).toContain(key);
    expect(broker.published).toEqual([]);
  });

  it("rejects an unknown message option, listing the valid ones", async () => {
    const f = actor(function f() {}, { broker });
    const error = await sendFailure(() => f.sendWithOptions({ maxRetires: 1 }));
    expect(error).toBeInstanceOf(ArgumentError);
    expect(error.message).toContain("maxRetires");
    expect(error.message).toContain("brokerPriority");
    expect(error.message).toContain("delay");
    expect(error.message).not.toContain("retryWhen");
    expect(broker.published).toEqual([]);
  });

  it("rejects kwargs for an actor declared without acceptKwargs", async () => {
    const f = actor(function f(a: number) {
      return a;
    }, { broker });
    const error = await sendFailure(() => f.sendWithOptions({ args: [1], kwargs: { x: 1 } as never }));
    expect(error).toBeInstanceOf(ArgumentError);
    expect(error.message).toMatch(/acceptKwargs/);
    expect(broker.published).toEqual([]);
  });

  it("allows empty kwargs for an actor without acceptKwargs", async () => {
    const f = actor(function f() {}, { broker });
    const sent = await f.sendWithOptions({ kwargs: {} as never });
    expect(sent.kwargs).toEqual({});
  });

  it("rejects args that are not an array and kwargs that are not an object", async () => {
    const f = actor(function f() {}, { broker, acceptKwargs: true });
    expect(await sendFailure(() => f.sendWithOptions({ args: "x" as never }))).toBeInstanceOf(ArgumentError);
    expect(await sendFailure(() => f.sendWithOptions({ kwargs: [1] as never }))).toBeInstanceOf(ArgumentError);
    expect(broker.published).toEqual([]);
  });

  it("carries kwargs for an acceptKwargs actor", async () => {
    const greet = actor(function greet(name: string, kwargs: { punctuation?: string }) {
      return name + (kwargs.punctuation ?? ".");
    }, { broker, acceptKwargs: true });
    const sent = await greet.sendWithOptions({ args: ["Ada"], kwargs: { punctuation: "!" } });
    expect(sent.args).toEqual(["Ada"]);
    expect(sent.kwargs).toEqual({ punctuation: "!" });
    expect(sent.encode().toString()).toContain('"args":["Ada"],"kwargs":{"punctuation":"!"}');
    const plain = await greet.send("Bob");
    expect(plain.kwargs).toEqual({});
    expect(greet.acceptKwargs).toBe(true);
  });
});

describe("send-time validation of arguments", () => {
  class Point {
    x = 1;
  }
  const cyclic = () => {
    const o: Record<string, unknown> = {};
    o.self = o;
    return o;
  };
  const sparse = () => {
    const list = new Array<number>(2);
    list[1] = 1;
    return list;
  };

  it.each<[string, unknown[], RegExp]>([
    ["a function", [1, { x: () => 1 }], /^args\[1\]\.x is a function/],
    ["undefined in an array", [[1, undefined]], /^args\[0\]\[1\] is undefined/],
    ["undefined as an argument", [1, undefined], /^args\[1\] is undefined/],
    ["a sparse array", [sparse()], /^args\[0\]\[0\] .*sparse/],
    ["a BigInt", [{ n: 1n }], /^args\[0\]\.n is a bigint/],
    ["a cycle", [cyclic()], /^args\[0\]\.self .*cycle/],
    ["a Date", [new Date()], /^args\[0\] is a Date/],
    ["a Map", [new Map()], /^args\[0\] is a Map/],
    ["a class instance", [{ p: new Point() }], /^args\[0\]\.p is a Point/],
    ["NaN", [NaN], /^args\[0\] is NaN/],
    ["Infinity", [1, { deep: [Infinity] }], /^args\[1\]\.deep\[0\] is Infinity/],
    ["a symbol", [Symbol("s")], /^args\[0\] is a symbol/],
  ])("send rejects %s with an EncodeError naming the path, enqueueing nothing", async (_label, args, path) => {
    const f = actor(function f(..._args: unknown[]) {}, { broker });
    const error = await sendFailure(() => f.send(...args));
    expect(error).toBeInstanceOf(EncodeError);
    expect(error.message).toMatch(path);
    expect(broker.published).toEqual([]);
  });

  it("checks kwargs and message options too", async () => {
    const f = actor(function f(_kwargs: Record<string, unknown>) {}, { broker, acceptKwargs: true });
    const inKwargs = await sendFailure(() => f.sendWithOptions({ kwargs: { when: new Date() } }));
    expect(inKwargs).toBeInstanceOf(EncodeError);
    expect(inKwargs.message).toMatch(/^kwargs\.when is a Date/);
    const inOptions = await sendFailure(() => f.sendWithOptions({ brokerPriority: NaN }));
    expect(inOptions).toBeInstanceOf(EncodeError);
    expect(inOptions.message).toMatch(/^options\.broker_priority is NaN/);
    const badLimit = await sendFailure(() => f.sendWithOptions({ timeLimit: NaN }));
    expect(badLimit).toBeInstanceOf(ArgumentError);
    expect(badLimit.message).toMatch(/timeLimit must be a positive number/);
    const badRetries = await sendFailure(() => f.sendWithOptions({ maxRetries: -1 }));
    expect(badRetries).toBeInstanceOf(ArgumentError);
    expect(broker.published).toEqual([]);
  });

  it("message() validates as well", () => {
    const f = actor(function f(_x: unknown) {}, { broker });
    expect(() => f.message(() => 1)).toThrow(EncodeError);
  });

  it("accepts plain nested data", async () => {
    const f = actor(function f(..._args: unknown[]) {}, { broker });
    const args = [null, true, 0, -1.5, "é", [], {}, { a: [1, { b: [null, "c"] }] }, Object.assign(Object.create(null), { z: 1 })];
    const sent = await f.send(...args);
    expect(sent.args).toEqual(args);
    expect(broker.published).toHaveLength(1);
  });
});
