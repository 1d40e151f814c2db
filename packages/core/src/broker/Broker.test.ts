import pino from "pino";
import { RecordingBroker } from "../../test/support/RecordingBroker";
import { actor } from "../actor/declareActor";
import type { Actor } from "../actor/Actor";
import { ActorNotFound } from "../errors/ActorNotFound";
import { ArgumentError } from "../errors/ArgumentError";
import { ConfigurationError } from "../errors/ConfigurationError";
import { MiddlewareError } from "../errors/MiddlewareError";
import { SkipMessage } from "../errors/SkipMessage";
import type { Logger } from "../logging/Logger";
import { Message } from "../message/Message";
import { MessageProxy } from "../message/MessageProxy";
import { AgeLimit } from "../middleware/AgeLimit";
import { Callbacks } from "../middleware/Callbacks";
import { Middleware } from "../middleware/Middleware";
import { Pipelines } from "../middleware/Pipelines";
import { Retries } from "../middleware/Retries";
import { ShutdownNotifications } from "../middleware/ShutdownNotifications";
import { TimeLimit } from "../middleware/TimeLimit";
import type { Broker } from "./Broker";

interface LogLine {
  level: number;
  msg: string;
  name?: string;
  err?: { message: string; type: string };
}

/** A pino logger whose JSON lines are collected in `lines`. */
function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: "trace" }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

const FATAL = 60;
const WARN = 40;
const silent = () => pino({ level: "silent" });

/** A middleware that records each hook it sees as `<label>.<hook> <arg>`. */
class Recorder extends Middleware {
  constructor(
    readonly label: string,
    readonly events: string[],
  ) {
    super();
  }
  override afterDeclareActor(_b: Broker, a: Actor<any, any>): void {
    this.events.push(`${this.label}.afterDeclareActor ${a.actorName}`);
  }
  override afterDeclareQueue(_b: Broker, queueName: string): void {
    this.events.push(`${this.label}.afterDeclareQueue ${queueName}`);
  }
  override afterDeclareDelayQueue(_b: Broker, queueName: string): void {
    this.events.push(`${this.label}.afterDeclareDelayQueue ${queueName}`);
  }
  override beforeEnqueue(_b: Broker, m: Message, delay: number | undefined): void {
    this.events.push(`${this.label}.beforeEnqueue ${m.queueName} ${delay}`);
  }
  override afterEnqueue(_b: Broker, m: Message, delay: number | undefined): void {
    this.events.push(`${this.label}.afterEnqueue ${m.queueName} ${delay}`);
  }
}
class OtherRecorder extends Recorder {}

class First extends Middleware {}
class Second extends Middleware {}
class Third extends Middleware {}

const message = (queueName = "default") => new Message({ queueName, actorName: "f", messageId: "m", messageTimestamp: 1 });

describe("Broker middleware list", () => {
  it("defaults to Dramatiq's middleware, in order", () => {
    const broker = new RecordingBroker({ logger: silent() });
    expect(broker.middleware.map((m) => m.constructor)).toEqual([AgeLimit, TimeLimit, ShutdownNotifications, Callbacks, Pipelines, Retries]);
  });

  it("takes exactly the middleware given", () => {
    const first = new First();
    const broker = new RecordingBroker({ middleware: [first], logger: silent() });
    expect(broker.middleware).toEqual([first]);
    expect(new RecordingBroker({ middleware: [], logger: silent() }).middleware).toEqual([]);
  });

  it("appends by default", () => {
    const broker = new RecordingBroker({ middleware: [new First()], logger: silent() });
    const second = new Second();
    broker.addMiddleware(second);
    expect(broker.middleware.at(-1)).toBe(second);
  });

  it("inserts just before the first middleware of a class", () => {
    const [a, b, c] = [new First(), new Second(), new Second()];
    const broker = new RecordingBroker({ middleware: [a, b, c], logger: silent() });
    const inserted = new Third();
    broker.addMiddleware(inserted, { before: Second });
    expect(broker.middleware).toEqual([a, inserted, b, c]);
  });

  it("inserts just after the first middleware of a class", () => {
    const [a, b, c] = [new First(), new First(), new Second()];
    const broker = new RecordingBroker({ middleware: [a, b, c], logger: silent() });
    const inserted = new Third();
    broker.addMiddleware(inserted, { after: First });
    expect(broker.middleware).toEqual([a, inserted, b, c]);
  });

  it("matches the anchor class by instanceof (subclasses count)", () => {
    const events: string[] = [];
    const sub = new OtherRecorder("sub", events);
    const broker = new RecordingBroker({ middleware: [new First(), sub], logger: silent() });
    const inserted = new Third();
    broker.addMiddleware(inserted, { before: Recorder });
    expect(broker.middleware.indexOf(inserted)).toBe(1);
  });

  it("rejects both before and after", () => {
    const broker = new RecordingBroker({ middleware: [new First()], logger: silent() });
    expect(() => broker.addMiddleware(new Third(), { before: First, after: First })).toThrow(
      new ArgumentError("addMiddleware takes `before` or `after`, not both."),
    );
    expect(() => broker.addMiddleware(new Third(), { before: First, after: First })).toThrow(ArgumentError);
    expect(broker.middleware).toHaveLength(1);
  });

  it("rejects an anchor class that is not in the list", () => {
    const broker = new RecordingBroker({ middleware: [new First()], logger: silent() });
    expect(() => broker.addMiddleware(new Third(), { before: Second })).toThrow("addMiddleware: no middleware of class Second to insert next to.");
    expect(() => broker.addMiddleware(new Third(), { after: Second })).toThrow(ArgumentError);
    expect(broker.middleware).toHaveLength(1);
  });

  it.each<[string, unknown, string]>([
    ["nothing", undefined, "undefined"],
    ["a class instead of an instance", First, "a function First"],
    ["a plain object with hooks", { beforeEnqueue() {} }, "{}"],
  ])("rejects %s with an ArgumentError, the list unchanged", (_label, value, shown) => {
    const broker = new RecordingBroker({ middleware: [new First()], logger: silent() });
    expect(() => broker.addMiddleware(value as Middleware)).toThrow(new ArgumentError(`addMiddleware takes a Middleware instance, got ${shown}.`));
    expect(() => broker.addMiddleware(value as Middleware)).toThrow(ArgumentError);
    expect(broker.middleware).toHaveLength(1);
  });

  it("only warns when a second middleware of the same class is added", () => {
    const { logger, lines } = capturingLogger();
    const broker = new RecordingBroker({ middleware: [new First()], logger });
    const again = new First();
    broker.addMiddleware(again);
    expect(broker.middleware.at(-1)).toBe(again);
    expect(lines.filter((l) => l.level === WARN).map((l) => l.msg)).toEqual([
      "You're adding a middleware of the same type twice: First.",
    ]);
  });

  it("makes the new middleware's actor options valid", () => {
    class Audit extends Middleware {
      override readonly actorOptions = ["auditLevel"];
    }
    const broker = new RecordingBroker({ middleware: [new Retries()], logger: silent() });
    expect(broker.actorOptions.has("auditLevel")).toBe(false);
    broker.addMiddleware(new Audit());
    expect(broker.actorOptions.has("auditLevel")).toBe(true);
    expect(broker.actorOptions.has("maxRetries")).toBe(true);
    const audited = actor(function audited() {}, { broker, auditLevel: 2 });
    expect(audited.options).toEqual({ auditLevel: 2 });
  });

  it("replays declared actors, queues and delay queues to a middleware added later", () => {
    const events: string[] = [];
    const broker = new RecordingBroker({ middleware: [], logger: silent() });
    actor(function one() {}, { broker, queueName: "alpha" });
    actor(function two() {}, { broker, queueName: "beta" });
    broker.addMiddleware(new Recorder("late", events));
    expect(events).toEqual([
      "late.afterDeclareActor one",
      "late.afterDeclareActor two",
      "late.afterDeclareQueue alpha",
      "late.afterDeclareQueue beta",
      "late.afterDeclareDelayQueue alpha.DQ",
      "late.afterDeclareDelayQueue beta.DQ",
    ]);
  });

  it("removes a middleware so its hooks stop running", async () => {
    const events: string[] = [];
    const recorder = new Recorder("r", events);
    const broker = new RecordingBroker({ middleware: [recorder], logger: silent() });
    expect(broker.hasHook("beforeEnqueue")).toBe(true);
    broker.removeMiddleware(recorder);
    expect(broker.middleware).toEqual([]);
    expect(broker.hasHook("beforeEnqueue")).toBe(false);
    await broker.enqueue(message());
    expect(events).toEqual([]);
  });

  it("runs the hooks of a middleware added after earlier emits", async () => {
    const events: string[] = [];
    const broker = new RecordingBroker({ middleware: [new Recorder("a", events)], logger: silent() });
    await broker.emitBefore("beforeEnqueue", message(), undefined);
    broker.addMiddleware(new Recorder("b", events));
    events.length = 0;
    await broker.emitBefore("beforeEnqueue", message(), undefined);
    expect(events).toEqual(["a.beforeEnqueue default undefined", "b.beforeEnqueue default undefined"]);
  });

  it("gives out the middleware list read-only: pushing to it throws, and emits never see the push", async () => {
    const events: string[] = [];
    const a = new Recorder("a", events);
    const broker = new RecordingBroker({ middleware: [a], logger: silent() });
    await broker.emitBefore("beforeEnqueue", message(), undefined); // the hook list is cached now
    const sneaky = new Recorder("sneaky", events);
    const list = broker.middleware as Middleware[];
    expect(() => list.push(sneaky)).toThrow(TypeError);
    expect(() => list.splice(0, 1)).toThrow(TypeError);
    expect(() => {
      list[0] = sneaky;
    }).toThrow(TypeError);
    expect(() => {
      (broker as unknown as { middleware: Middleware[] }).middleware = [sneaky];
    }).toThrow(TypeError);
    events.length = 0;
    await broker.emitBefore("beforeEnqueue", message(), undefined);
    expect(events).toEqual(["a.beforeEnqueue default undefined"]);
    expect(broker.middleware).toEqual([a]);
    expect(broker.hasMiddleware(OtherRecorder)).toBe(false);
  });

  it("gives a new copy on every change, and the same one until then", () => {
    const first = new First();
    const broker = new RecordingBroker({ middleware: [first], logger: silent() });
    const before = broker.middleware;
    expect(broker.middleware).toBe(before);
    const second = new Second();
    broker.addMiddleware(second);
    expect(broker.middleware).toEqual([first, second]);
    expect(before).toEqual([first]);
    broker.removeMiddleware(first);
    expect(broker.middleware).toEqual([second]);
    expect(Object.isFrozen(broker.middleware)).toBe(true);
  });
});

describe("Broker options", () => {
  it.each<[string, Record<string, unknown>, string]>([
    ["a middleware that is not a list", { middleware: new First() }, "RecordingBroker: middleware must be a list of Middleware instances, got a First."],
    ["a list holding a class", { middleware: [new First(), Second] }, "RecordingBroker: middleware[1] must be a Middleware instance, got a function Second."],
    ["a logger that is not one", { logger: console.log }, "RecordingBroker: logger must be a pino logger (or one with child()), got a function log."],
    ["a null logger", { logger: null }, "RecordingBroker: logger must be a pino logger (or one with child()), got null."],
  ])("rejects %s with a ConfigurationError", (_label, options, message) => {
    let error: unknown;
    try {
      new RecordingBroker(options as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(message);
  });

  it("takes an empty list, and no list for the defaults", () => {
    expect(new RecordingBroker({ middleware: [] }).middleware).toEqual([]);
    expect(new RecordingBroker({ middleware: undefined }).middleware).toHaveLength(6);
  });
});

describe("Broker.emitBefore", () => {
  it("calls the hook on each middleware in list order, with the broker first", async () => {
    const events: string[] = [];
    const broker = new RecordingBroker({ middleware: [new Recorder("a", events), new First(), new Recorder("b", events)], logger: silent() });
    const spy = jest.spyOn(broker.middleware[0] as Recorder, "beforeEnqueue");
    const m = message();
    await broker.emitBefore("beforeEnqueue", m, 10);
    expect(events).toEqual(["a.beforeEnqueue default 10", "b.beforeEnqueue default 10"]);
    expect(spy).toHaveBeenCalledWith(broker, m, 10);
  });

  it("awaits async hooks one after another", async () => {
    const events: string[] = [];
    class Slow extends Middleware {
      override async beforeEnqueue(): Promise<void> {
        events.push("slow start");
        await new Promise((resolve) => setTimeout(resolve, 5));
        events.push("slow end");
      }
    }
    const broker = new RecordingBroker({ middleware: [new Slow(), new Recorder("next", events)], logger: silent() });
    await broker.emitBefore("beforeEnqueue", message(), undefined);
    expect(events).toEqual(["slow start", "slow end", "next.beforeEnqueue default undefined"]);
  });

  it.each([
    ["a MiddlewareError", new MiddlewareError("stop")],
    ["SkipMessage", new SkipMessage("skip")],
  ])("propagates %s and stops there", async (_label, error) => {
    const events: string[] = [];
    class Stopper extends Middleware {
      override beforeProcessMessage(): void {
        events.push("stopper");
        throw error;
      }
    }
    class After extends Middleware {
      override beforeProcessMessage(): void {
        events.push("after");
      }
    }
    const { logger, lines } = capturingLogger();
    const broker = new RecordingBroker({ middleware: [new Stopper(), new After()], logger });
    // Synchronous hooks throw synchronously; callers await the emit either way.
    await expect((async () => broker.emitBefore("beforeProcessMessage", new MessageProxy(message())))()).rejects.toBe(error);
    expect(events).toEqual(["stopper"]);
    expect(lines.filter((l) => l.level === FATAL)).toEqual([]);
  });

  it("returns nothing when every hook ran synchronously, and a promise once one goes async", async () => {
    const events: string[] = [];
    class Sync extends Middleware {
      override beforeProcessMessage(): void {
        events.push("sync");
      }
    }
    class Async extends Middleware {
      override async beforeProcessMessage(): Promise<void> {
        events.push("async");
      }
    }
    const syncOnly = new RecordingBroker({ middleware: [new Sync(), new Sync()] });
    expect(syncOnly.emitBefore("beforeProcessMessage", new MessageProxy(message()))).toBeUndefined();
    expect(events).toEqual(["sync", "sync"]);
    events.length = 0;
    const mixed = new RecordingBroker({ middleware: [new Sync(), new Async(), new Sync()] });
    const pending = mixed.emitBefore("beforeProcessMessage", new MessageProxy(message()));
    expect(pending).toBeInstanceOf(Promise);
    await pending;
    expect(events).toEqual(["sync", "async", "sync"]);
  });

  it("logs any other error at fatal (CRITICAL) and goes on", async () => {
    const events: string[] = [];
    class Broken extends Middleware {
      override async beforeProcessMessage(): Promise<void> {
        throw new TypeError("oops");
      }
    }
    class After extends Middleware {
      override beforeProcessMessage(): void {
        events.push("after");
      }
    }
    const { logger, lines } = capturingLogger();
    const broker = new RecordingBroker({ middleware: [new Broken(), new After()], logger });
    await expect(broker.emitBefore("beforeProcessMessage", new MessageProxy(message()))).resolves.toBeUndefined();
    expect(events).toEqual(["after"]);
    const fatal = lines.filter((l) => l.level === FATAL);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.msg).toBe("Unexpected failure in beforeProcessMessage of Broken.");
    expect(fatal[0]!.err).toMatchObject({ type: "TypeError", message: "oops" });
  });
});

describe("Broker.emitAfter", () => {
  it("calls the hook in reverse list order", async () => {
    const events: string[] = [];
    const broker = new RecordingBroker({
      middleware: [new Recorder("a", events), new Recorder("b", events), new Recorder("c", events)],
      logger: silent(),
    });
    await broker.emitAfter("afterEnqueue", message(), undefined);
    expect(events).toEqual(["c.afterEnqueue default undefined", "b.afterEnqueue default undefined", "a.afterEnqueue default undefined"]);
  });

  it("logs and swallows every error, MiddlewareError included, and goes on", async () => {
    const events: string[] = [];
    class Throws extends Middleware {
      constructor(
        readonly label: string,
        readonly error: Error,
      ) {
        super();
      }
      override async afterProcessMessage(): Promise<void> {
        events.push(this.label);
        throw this.error;
      }
    }
    const { logger, lines } = capturingLogger();
    const broker = new RecordingBroker({
      middleware: [new Throws("first", new Error("plain")), new Throws("last", new SkipMessage("skip"))],
      logger,
    });
    await expect(broker.emitAfter("afterProcessMessage", new MessageProxy(message()), {})).resolves.toBeUndefined();
    expect(events).toEqual(["last", "first"]);
    const fatal = lines.filter((l) => l.level === FATAL);
    expect(fatal.map((l) => l.msg)).toEqual([
      "Unexpected failure in afterProcessMessage of Throws.",
      "Unexpected failure in afterProcessMessage of Throws.",
    ]);
    expect(fatal.map((l) => l.err?.message)).toEqual(["skip", "plain"]);
  });
});

describe("Broker declarations", () => {
  it("declares an actor: before hook, its queue and delay queue, then after hook", () => {
    const events: string[] = [];
    class Before extends Middleware {
      override beforeDeclareActor(_b: Broker, a: Actor<any, any>): void {
        events.push(`before.beforeDeclareActor ${a.actorName}`);
      }
      override beforeDeclareQueue(_b: Broker, q: string): void {
        events.push(`before.beforeDeclareQueue ${q}`);
      }
    }
    const broker = new RecordingBroker({ middleware: [new Before(), new Recorder("r", events)], logger: silent() });
    const f = actor(function f() {}, { broker, queueName: "jobs" });
    expect(events).toEqual([
      "before.beforeDeclareActor f",
      "before.beforeDeclareQueue jobs",
      "r.afterDeclareQueue jobs",
      "r.afterDeclareDelayQueue jobs.DQ",
      "r.afterDeclareActor f",
    ]);
    expect(broker.getActor("f")).toBe(f);
    expect(broker.getDeclaredActors()).toEqual(["f"]);
    expect(broker.getDeclaredQueues()).toEqual(["jobs"]);
    expect(broker.getDeclaredDelayQueues()).toEqual(["jobs.DQ"]);
    expect(broker.storage).toEqual(["jobs"]);
  });

  it("declares a queue once", () => {
    const events: string[] = [];
    const broker = new RecordingBroker({ middleware: [new Recorder("r", events)], logger: silent() });
    broker.declareQueue("jobs");
    broker.declareQueue("jobs");
    actor(function g() {}, { broker, queueName: "jobs" });
    expect(events.filter((e) => e.includes("Queue"))).toEqual(["r.afterDeclareQueue jobs", "r.afterDeclareDelayQueue jobs.DQ"]);
    expect(broker.storage).toEqual(["jobs"]);
  });

  it("throws ActorNotFound for an unknown actor", () => {
    const broker = new RecordingBroker({ middleware: [], logger: silent() });
    expect(() => broker.getActor("nope")).toThrow(ActorNotFound);
    expect(() => broker.getActor("nope")).toThrow(/nope/);
  });
});

describe("Broker.enqueue", () => {
  afterEach(() => jest.restoreAllMocks());

  it("runs beforeEnqueue, publishes, runs afterEnqueue, and returns the message", async () => {
    const events: string[] = [];
    const broker = new RecordingBroker({ middleware: [new Recorder("r", events)], logger: silent(), events });
    const m = message();
    const enqueued = await broker.enqueue(m);
    expect(enqueued).toBe(m);
    expect(broker.published).toEqual([m]);
    expect(events).toEqual(["r.beforeEnqueue default undefined", "publish default", "r.afterEnqueue default undefined"]);
  });

  it("with a delay, publishes a copy on the delay queue with an integer eta", async () => {
    jest.spyOn(Date, "now").mockReturnValue(1_800_000_000_000);
    const events: string[] = [];
    const broker = new RecordingBroker({ middleware: [new Recorder("r", events)], logger: silent(), events });
    const m = message().copy({ options: { a: 1 } });
    const enqueued = await broker.enqueue(m, { delay: 1500.9 });
    expect(enqueued.queueName).toBe("default.DQ");
    expect(enqueued.options).toEqual({ a: 1, eta: 1_800_000_001_500 });
    expect(enqueued.messageId).toBe(m.messageId);
    expect(broker.published).toEqual([enqueued]);
    expect(events).toEqual(["r.beforeEnqueue default.DQ 1500.9", "publish default.DQ", "r.afterEnqueue default.DQ 1500.9"]);
  });

  it("does not publish when a beforeEnqueue hook raises a MiddlewareError", async () => {
    class Veto extends Middleware {
      override beforeEnqueue(): void {
        throw new MiddlewareError("no");
      }
    }
    const broker = new RecordingBroker({ middleware: [new Veto()], logger: silent() });
    await expect(broker.enqueue(message())).rejects.toBeInstanceOf(MiddlewareError);
    expect(broker.published).toEqual([]);
  });

  it("enqueueMany publishes in order and runs the hooks for each message", async () => {
    const events: string[] = [];
    const broker = new RecordingBroker({ middleware: [new Recorder("r", events)], logger: silent(), events });
    const out = await broker.enqueueMany([message("a"), message("b")]);
    expect(out.map((m) => m.queueName)).toEqual(["a", "b"]);
    expect(events).toEqual([
      "r.beforeEnqueue a undefined",
      "r.beforeEnqueue b undefined",
      "publish a",
      "publish b",
      "r.afterEnqueue a undefined",
      "r.afterEnqueue b undefined",
    ]);
  });
});
