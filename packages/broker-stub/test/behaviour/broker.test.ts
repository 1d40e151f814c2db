/**
 * Dramatiq tests/test_broker.py, spec 17.1 item 13 (plus the rest of add_middleware's contract).
 */
import {
  ActorDefinitionError,
  type Actor,
  AgeLimit,
  ArgumentError,
  type Broker,
  Callbacks,
  CurrentMessage,
  defaultMiddleware,
  type MessageProxy,
  Middleware,
  Pipelines,
  Retries,
  ShutdownNotifications,
  TimeLimit,
  actor,
} from "@q/core";
import { capturingBroker, newBroker, startWorker, stopStartedWorkers } from "./harness";

afterEach(stopStartedWorkers);

class EmptyMiddleware extends Middleware {}

describe("addMiddleware", () => {
  test("the default middleware, in Dramatiq's order", () => {
    expect(newBroker({ middleware: defaultMiddleware() }).middleware.map((m) => m.constructor)).toEqual([
      AgeLimit,
      TimeLimit,
      ShutdownNotifications,
      Callbacks,
      Pipelines,
      Retries,
    ]);
  });

  // 13. test_broker_middleware_can_be_added_before_other_middleware
  test("middleware can be added before other middleware", () => {
    const broker = newBroker({ middleware: defaultMiddleware() });
    const middleware = new EmptyMiddleware();
    broker.addMiddleware(middleware, { before: AgeLimit });
    expect(broker.middleware[0]).toBe(middleware);

    const beforeRetries = new EmptyMiddleware();
    broker.addMiddleware(beforeRetries, { before: Retries });
    expect(broker.middleware.at(-2)).toBe(beforeRetries);
    expect(broker.middleware.at(-1)).toBeInstanceOf(Retries);
  });

  test("middleware can be added after other middleware", () => {
    const broker = newBroker({ middleware: defaultMiddleware() });
    const middleware = new EmptyMiddleware();
    broker.addMiddleware(middleware, { after: AgeLimit });
    expect(broker.middleware[1]).toBe(middleware);
  });

  test("adding before or after a class that is not installed raises", () => {
    const broker = newBroker({ middleware: defaultMiddleware() });
    expect(() => broker.addMiddleware(new EmptyMiddleware(), { before: CurrentMessage })).toThrow(ArgumentError);
    expect(() => broker.addMiddleware(new EmptyMiddleware(), { after: CurrentMessage })).toThrow(ArgumentError);
  });

  test("passing both before and after raises", () => {
    const broker = newBroker({ middleware: defaultMiddleware() });
    expect(() => broker.addMiddleware(new EmptyMiddleware(), { before: AgeLimit, after: Retries })).toThrow(ArgumentError);
  });

  test("adding a second middleware of the same type only warns", () => {
    const { broker, logs } = capturingBroker();
    broker.addMiddleware(new AgeLimit());
    expect(broker.middleware.filter((m) => m instanceof AgeLimit)).toHaveLength(2);
    expect(logs.filter((l) => l.level === 40).map((l) => l.msg)).toEqual([
      "You're adding a middleware of the same type twice: AgeLimit.",
    ]);
  });

  test("a middleware added late learns every declared actor, queue and delay queue", () => {
    const broker = newBroker({ middleware: defaultMiddleware() });
    actor(function a() {}, { broker, queueName: "qa" });
    actor(function b() {}, { broker, queueName: "qb" });
    const seen: string[] = [];
    class Learner extends Middleware {
      override afterDeclareActor(_broker: Broker, declared: Actor<any, any>): void {
        seen.push(`actor:${declared.actorName}`);
      }
      override afterDeclareQueue(_broker: Broker, queueName: string): void {
        seen.push(`queue:${queueName}`);
      }
      override afterDeclareDelayQueue(_broker: Broker, queueName: string): void {
        seen.push(`delay:${queueName}`);
      }
    }
    broker.addMiddleware(new Learner());
    expect(seen).toEqual(["actor:a", "actor:b", "queue:qa", "queue:qb", "delay:qa.DQ", "delay:qb.DQ"]);
  });

  test("a middleware's actor options become valid once it is added", () => {
    const broker = newBroker({ middleware: defaultMiddleware() });
    class Audited extends Middleware {
      override readonly actorOptions = ["audit"];
    }
    expect(() => actor(function a() {}, { broker, audit: true })).toThrow(ActorDefinitionError);
    broker.addMiddleware(new Audited());
    expect(actor(function b() {}, { broker, audit: true }).options).toEqual({ audit: true });
  });
});

describe("hook order", () => {
  test("before hooks run in list order, after hooks in reverse", async () => {
    const broker = newBroker({ middleware: [] });
    const order: string[] = [];
    class Tracer extends Middleware {
      constructor(private readonly label: string) {
        super();
      }
      override beforeProcessMessage(): void {
        order.push(`before:${this.label}`);
      }
      override afterProcessMessage(): void {
        order.push(`after:${this.label}`);
      }
      override beforeAck(): void {
        order.push(`beforeAck:${this.label}`);
      }
      override afterAck(): void {
        order.push(`afterAck:${this.label}`);
      }
    }
    broker.addMiddleware(new Tracer("1"));
    broker.addMiddleware(new Tracer("2"));
    const work = actor(function work() {
      order.push("actor");
    }, { broker });
    await startWorker(broker);

    await work.send();
    await broker.join(work.queueName, { timeout: 5000 });
    await new Promise((resolve) => setImmediate(resolve));

    expect(order).toEqual(["before:1", "before:2", "actor", "after:2", "after:1", "beforeAck:1", "beforeAck:2", "afterAck:2", "afterAck:1"]);
  });
});

describe("brokers without middleware", () => {
  test("a broker given an empty list has no middleware and no middleware options", () => {
    const broker = newBroker({ middleware: [] });
    expect(broker.middleware).toEqual([]);
    expect(() => actor(function work() {}, { broker, maxRetries: 1 })).toThrow(ActorDefinitionError);
  });

  test("without Retries a failure is neither retried nor dead-lettered (only Retries marks messages failed)", async () => {
    const broker = newBroker({ middleware: [] });
    let attempts = 0;
    const work = actor(function work() {
      attempts++;
      throw new Error("nope");
    }, { broker });
    await startWorker(broker);

    await work.send();
    await broker.join(work.queueName, { timeout: 5000 });
    expect(attempts).toBe(1);
    expect(broker.deadLetters).toEqual([]);
  });

  test("middleware hooks get the message proxy with its mutable options", async () => {
    const broker = newBroker({ middleware: defaultMiddleware() });
    const retriesSeen: unknown[] = [];
    class Peek extends Middleware {
      override afterProcessMessage(_broker: Broker, message: MessageProxy): void {
        retriesSeen.push(message.options.retries);
      }
    }
    // Appended after Retries, so its after-hook runs before Retries mutates the options.
    broker.addMiddleware(new Peek());
    let attempts = 0;
    const work = actor(function work() {
      if (attempts++ === 0) throw new Error("once");
    }, { broker, minBackoff: 10, maxBackoff: 100 });
    await startWorker(broker);

    await work.send();
    await broker.join(work.queueName, { timeout: 5000 });
    expect(retriesSeen).toEqual([undefined, 1]);
  });
});
