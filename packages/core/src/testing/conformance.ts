import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import pino from "pino";
import { actor } from "../actor/declareActor";
import type { Actor } from "../actor/Actor";
import type { Broker, BrokerOptions } from "../broker/Broker";
import type { ConsumeOptions, Consumer } from "../broker/Consumer";
import { dqName } from "../broker/queueNames";
import { ConfigurationError } from "../errors/ConfigurationError";
import { MessageTooLarge } from "../errors/MessageTooLarge";
import { QueueJoinTimeout } from "../errors/QueueJoinTimeout";
import type { Logger } from "../logging/Logger";
import { Message } from "../message/Message";
import { Middleware } from "../middleware/Middleware";
import type { MessageProxy } from "../message/MessageProxy";
import { Worker, type WorkerOptions } from "../worker/Worker";

/**
 * The test-framework globals the kit registers its cases with. jest, vitest (with
 * `globals: true`) and mocha provide them; declared here so the kit needs no
 * framework's type package.
 *
 * @example
 * import { describe, it, beforeEach, afterEach } from "node:test";
 * runBrokerConformance({ ...adapter, framework: { describe, it, beforeEach, afterEach } });
 */
export interface TestFramework {
  describe(name: string, body: () => void): void;
  /** The third argument is a per-test timeout in ms (jest, vitest; ignored elsewhere). */
  it(name: string, body: () => Promise<void>, timeout?: number): void;
  beforeEach(body: () => Promise<void>, timeout?: number): void;
  afterEach(body: () => Promise<void>, timeout?: number): void;
}

/**
 * One dead-lettered delivery, as a broker adapter reports it (broker-neutral).
 *
 * @example
 * const letter: DeadLetter = { messageId: proxy.messageId, data: proxy.raw, reason: "Actor nope not found." };
 */
export interface DeadLetter {
  /** The message id, when the payload decoded. */
  messageId?: string;
  /** The bytes exactly as they were received (required for undecodable payloads). */
  data?: Buffer;
  /** Why it was dead-lettered, when the broker keeps a reason. */
  reason?: string;
}

/**
 * The cases of {@link runBrokerConformance}, by id (for `skip`).
 *
 * @example
 * const skip: ConformanceCase[] = ["requeue"];
 */
export type ConformanceCase =
  | "ack"
  | "enqueue-many"
  | "nack"
  | "requeue"
  | "redelivery"
  | "prefetch"
  | "delay-queue"
  | "worker-runs"
  | "worker-delay"
  | "priorities"
  | "retries"
  | "join"
  | "flush"
  | "flush-all"
  | "graceful-stop"
  | "poison"
  | "unknown-actor"
  | "python-producer"
  | "python-kwargs"
  | "max-message-size";

/**
 * How to run the conformance kit against one broker implementation.
 *
 * @example
 * const options: BrokerConformanceOptions<StubBroker> = {
 *   name: "StubBroker",
 *   makeBroker: (logger) => new StubBroker({ logger }),
 *   injectRaw: async (broker, queue, bytes) => broker.enqueueRaw(queue, bytes),
 *   deadLetters: async (broker, queue) => stubDeadLetters(broker, queue),
 * };
 */
export interface BrokerConformanceOptions<B extends Broker = Broker> {
  /** Shown in the `describe` title. */
  name: string;
  /**
   * A fresh broker with the default middleware, for one test; give it `logger` to follow the
   * `logger` option, and `options` (when given) too: the `max-message-size` case asks for a
   * small `maxMessageSize` this way.
   */
  makeBroker(logger: Logger, options?: KitBrokerOptions): B | Promise<B>;
  /** The logger handed to `makeBroker`; default: pino at level `silent` (poison cases log errors on purpose). */
  logger?: Logger;
  /** Disposes of a broker after its test; default `broker.close()`. */
  destroyBroker?(broker: B): Promise<void>;
  /** Writes raw bytes to a queue as a foreign producer would (not through `enqueue`). */
  injectRaw(broker: B, queueName: string, data: Buffer): Promise<void>;
  /**
   * Everything dead-lettered for the canonical queue `queueName`: nacked deliveries
   * of the queue and of its delay queue, and undecodable payloads.
   */
  deadLetters(broker: B, queueName: string): Promise<readonly DeadLetter[]>;
  /** Multiplies every wait, delay and timeout (for brokers behind a network); default 1. */
  timeScale?: number;
  /** Consumer idle timeout in ms, before scaling; default 50. */
  consumerTimeout?: number;
  /** Per-test timeout in ms, before scaling; default 10000. */
  testTimeout?: number;
  /** Whether dead letters of undecodable payloads carry a `reason`; default true. */
  poisonReasons?: boolean;
  /** Cases not to run (registered as skipped when the framework has `it.skip`). */
  skip?: readonly ConformanceCase[];
  /** Test functions to use instead of the globals (e.g. from `node:test`). */
  framework?: Partial<TestFramework>;
}

/**
 * The broker options a case may ask `makeBroker` for (options every broker takes).
 *
 * @example
 * makeBroker: (logger, options) => new StubBroker({ logger, ...options }),
 */
export type KitBrokerOptions = Pick<BrokerOptions, "maxMessageSize">;

/** Per-test state handed to each case. */
interface Ctx<B extends Broker> {
  readonly broker: B;
  /** A unique canonical queue name for this test (not declared yet). */
  readonly queue: string;
  /** Scales a duration by `timeScale`. */
  t(ms: number): number;
  /** A second unique queue, declared, flushed after the test. */
  otherQueue(): string;
  consume(queueName: string, options?: ConsumeOptions): Consumer;
  /** A started (optionally paused) worker on this test's queue(s); stopped after the test. */
  worker(options?: WorkerOptions, paused?: boolean): Promise<Worker>;
  /** `broker.join` without fail-fast, bounded by `timeout` (scaled; default 5 s). */
  join(queueName?: string, timeout?: number): Promise<void>;
  deadLetters(queueName?: string): Promise<readonly DeadLetter[]>;
  injectRaw(data: Buffer, queueName?: string): Promise<void>;
  /** Counts deliveries handed out by any consumer of this broker. */
  readonly deliveries: DeliveryLog;
  /** Whether poison dead letters must carry a reason. */
  readonly poisonReasons: boolean;
  /** The state of a second broker made with `options` (own queues; disposed after the test). */
  withBroker(options: KitBrokerOptions): Promise<Ctx<B>>;
}

interface CaseDef {
  id: ConformanceCase;
  title: string;
  run(ctx: Ctx<Broker>): Promise<void>;
}

const CASES: readonly CaseDef[] = [
  {
    id: "ack",
    title: "hands out an enqueued message unchanged and removes it once acked",
    async run(c) {
      c.broker.declareQueue(c.queue);
      const sent = await c.broker.enqueue(
        new Message({ queueName: c.queue, actorName: "conf_noop", args: [1, "two", { three: [3] }], options: { custom: "x" } }),
      );
      const consumer = c.consume(c.queue, { prefetch: 1 });
      const got = await nextMessage(consumer, c.t(2000));
      assert.equal(got.messageId, sent.messageId);
      assert.equal(got.messageTimestamp, sent.messageTimestamp);
      assert.equal(got.actorName, "conf_noop");
      assert.equal(got.queueName, c.queue);
      assert.deepEqual([...got.args], [1, "two", { three: [3] }]);
      assert.equal(got.options.custom, "x");
      await consumer.ack(got);
      await c.join(c.queue, 1000);
      assert.equal(await consumer.next(), null, "an acked message must not be handed out again");
      assert.equal((await c.deadLetters()).length, 0);
    },
  },
  {
    id: "enqueue-many",
    title: "enqueueMany writes a large batch over several queues, in order per queue, and returns what it wrote in input order",
    async run(c) {
      c.broker.declareQueue(c.queue);
      const other = c.otherQueue();
      // More than one write batch on the main queue (brokers cut batches at ~1000), interleaved with another queue.
      const input = Array.from({ length: 1500 }, (_, i) =>
        new Message({ queueName: i % 5 === 4 ? other : c.queue, actorName: "conf_noop", args: [i, "é"] }),
      );
      const sent = await c.broker.enqueueMany(input);
      assert.deepEqual(sent.map((m) => m.messageId), input.map((m) => m.messageId), "returned in input order, same ids");
      for (const queue of [c.queue, other]) {
        const expected = sent.filter((m) => m.queueName === queue);
        const consumer = c.consume(queue, { prefetch: 100 });
        const got: MessageProxy[] = [];
        while (got.length < expected.length) {
          const m = await nextMessage(consumer, c.t(5000));
          got.push(m);
          await consumer.ack(m);
        }
        assert.deepEqual(got.map((m) => m.messageId), expected.map((m) => m.messageId), `FIFO on ${queue}`);
        assert.deepEqual(got.map((m) => m.message.toDict()), expected.map((m) => m.toDict()), "the bytes carry what enqueueMany returned");
        await c.join(queue, 1000);
      }
      assert.equal((await c.deadLetters()).length, 0);
    },
  },
  {
    id: "nack",
    title: "dead-letters a nacked message as it was received",
    async run(c) {
      c.broker.declareQueue(c.queue);
      const sent = await c.broker.enqueue(new Message({ queueName: c.queue, actorName: "conf_noop", args: [7], options: { retries: 1 } }));
      const consumer = c.consume(c.queue, { prefetch: 1 });
      const got = await nextMessage(consumer, c.t(2000));
      // In-memory changes (as Retries makes) must not leak into the dead letter.
      got.options.retries = 99;
      got.options.traceback = "changed in memory";
      got.fail();
      await consumer.nack(got);
      await c.join(c.queue, 1000);
      const dead = await c.deadLetters();
      assert.equal(dead.length, 1, "exactly one dead letter");
      const letter = dead[0]!;
      if (letter.messageId !== undefined) assert.equal(letter.messageId, sent.messageId);
      assert.ok(letter.messageId !== undefined || letter.data !== undefined, "a dead letter must report its message id or its bytes");
      if (letter.data) {
        if (got.raw) assert.ok(letter.data.equals(got.raw), "the dead letter keeps the delivery's bytes");
        const decoded = Message.decode(letter.data);
        assert.equal(decoded.messageId, sent.messageId);
        assert.deepEqual(decoded.toDict(), got.message.toDict());
        assert.equal(decoded.options.retries, 1);
        assert.equal(decoded.options.traceback, undefined);
      }
      assert.equal(await consumer.next(), null, "a nacked message is not redelivered");
    },
  },
  {
    id: "requeue",
    title: "returns requeued messages to the queue",
    async run(c) {
      c.broker.declareQueue(c.queue);
      const ids = await enqueueNoops(c, 3);
      const consumer = c.consume(c.queue, { prefetch: 3 });
      const first = [await nextMessage(consumer, c.t(2000)), await nextMessage(consumer, c.t(2000)), await nextMessage(consumer, c.t(2000))];
      assert.deepEqual(sorted(first.map((m) => m.messageId)), sorted(ids));
      await consumer.requeue(first);
      const again = [await nextMessage(consumer, c.t(2000)), await nextMessage(consumer, c.t(2000)), await nextMessage(consumer, c.t(2000))];
      assert.deepEqual(sorted(again.map((m) => m.messageId)), sorted(ids));
      for (const m of again) await consumer.ack(m);
      await c.join(c.queue, 1000);
      assert.equal((await c.deadLetters()).length, 0);
    },
  },
  {
    id: "redelivery",
    title: "delivers a message again when its consumer closes without acking it (at-least-once)",
    async run(c) {
      c.broker.declareQueue(c.queue);
      const [id] = await enqueueNoops(c, 1);
      const first = c.consume(c.queue, { prefetch: 1 });
      const got = await nextMessage(first, c.t(2000));
      assert.equal(got.messageId, id);
      await first.close();
      const second = c.consume(c.queue, { prefetch: 1 });
      const again = await nextMessage(second, c.t(3000));
      assert.equal(again.messageId, id);
      await second.ack(again);
      await c.join(c.queue, 1000);
    },
  },
  {
    id: "prefetch",
    title: "never hands out more than `prefetch` unsettled messages",
    async run(c) {
      c.broker.declareQueue(c.queue);
      await enqueueNoops(c, 4);
      const consumer = c.consume(c.queue, { prefetch: 2 });
      const a = await nextMessage(consumer, c.t(2000));
      const b = await nextMessage(consumer, c.t(2000));
      assert.notEqual(a.messageId, b.messageId);
      assert.equal(await consumer.next(), null, "a third message while two are outstanding breaks the prefetch bound");
      await consumer.ack(a);
      const d = await nextMessage(consumer, c.t(2000));
      assert.equal(await consumer.next(), null, "still two outstanding (b and the newest)");
      await consumer.nack(b);
      const e = await nextMessage(consumer, c.t(2000));
      await consumer.ack(d);
      await consumer.ack(e);
      assert.equal(new Set([a, b, d, e].map((m) => m.messageId)).size, 4);
      await c.join(c.queue, 1000);
    },
  },
  {
    id: "delay-queue",
    title: "puts a delayed message on the delay queue with an integer eta of now + delay",
    async run(c) {
      c.broker.declareQueue(c.queue);
      const delay = c.t(60_000);
      const before = Date.now();
      const sent = await c.broker.enqueue(new Message({ queueName: c.queue, actorName: "conf_noop", args: [1] }), { delay });
      const after = Date.now();
      assert.equal(sent.queueName, dqName(c.queue));
      assert.ok(sent.queueName.endsWith(".DQ"));
      const eta = sent.options.eta;
      assert.ok(Number.isInteger(eta), `eta must be an integer, got ${String(eta)}`);
      assert.ok((eta as number) >= before + delay && (eta as number) <= after + delay, "eta = enqueue time + delay");

      const main = c.consume(c.queue, { prefetch: 1 });
      assert.equal(await main.next(), null, "a delayed message is not on the queue itself");
      const delayed = c.consume(dqName(c.queue), { prefetch: 1 });
      const got = await nextMessage(delayed, c.t(2000));
      assert.equal(got.messageId, sent.messageId);
      assert.equal(got.queueName, dqName(c.queue));
      assert.equal(got.options.eta, eta);
      await delayed.ack(got);
      await c.join(c.queue, 1000);
    },
  },
  {
    id: "worker-runs",
    title: "runs an actor for every message sent and leaves the queue drained",
    async run(c) {
      const seen: unknown[][] = [];
      const add = actor(
        function conf_add(a: number, b: number) {
          seen.push([a, b]);
        },
        { broker: c.broker, queueName: c.queue },
      );
      await c.worker();
      await add.send(1, 2);
      await add.send(3, 4);
      await c.join();
      assert.deepEqual(sorted(seen.map((s) => JSON.stringify(s))), ["[1,2]", "[3,4]"]);
      assert.equal((await c.deadLetters()).length, 0);
    },
  },
  {
    id: "worker-delay",
    title: "runs a delayed message once its delay has passed, not before",
    async run(c) {
      let ranAt: number | undefined;
      const later = actor(
        function conf_later() {
          ranAt = Date.now();
        },
        { broker: c.broker, queueName: c.queue },
      );
      await c.worker();
      const before = Date.now();
      const sent = await later.sendWithOptions({ delay: c.t(150) });
      const eta = sent.options.eta as number;
      assert.ok(eta >= before + c.t(150), "its eta is not the send time plus the delay");
      // Checked by the time it ran, not by a short sleep (which a loaded machine oversleeps).
      await c.join();
      assert.ok(ranAt !== undefined, "never ran");
      assert.ok(ranAt >= eta, `ran ${eta - ranAt} ms before its eta`);
    },
  },
  {
    id: "priorities",
    title: "runs prefetched messages of higher-priority (lower number) actors first",
    async run(c) {
      const order: string[] = [];
      const low = actor(
        function conf_low(n: number) {
          order.push(`low${n}`);
        },
        { broker: c.broker, queueName: c.queue, priority: 10 },
      );
      const high = actor(
        function conf_high(n: number) {
          order.push(`high${n}`);
        },
        { broker: c.broker, queueName: c.queue, priority: 0 },
      );
      const worker = await c.worker({ concurrency: 1, prefetch: 10 }, true);
      for (let n = 0; n < 3; n++) await low.send(n);
      for (let n = 0; n < 3; n++) await high.send(n);
      await c.deliveries.waitFor(c.queue, 6, c.t(3000));
      await sleep(c.t(20)); // let the last delivery reach the worker's work queue
      assert.deepEqual(order, [], "a paused worker must not run anything");
      worker.resume();
      await c.join();
      assert.deepEqual(order, ["high0", "high1", "high2", "low0", "low1", "low2"]);
    },
  },
  {
    id: "retries",
    title: "retries a failing actor, then dead-letters it after maxRetries",
    async run(c) {
      let attempts = 0;
      const fails = actor(
        function conf_fails() {
          attempts++;
          throw new Error("conformance failure");
        },
        { broker: c.broker, queueName: c.queue, maxRetries: 2, minBackoff: c.t(10), maxBackoff: c.t(40) },
      );
      await c.worker();
      const sent = await fails.send();
      await c.join(c.queue, 5000);
      assert.equal(attempts, 3, "one attempt plus two retries");
      const dead = await c.deadLetters();
      assert.equal(dead.length, 1);
      const letter = dead[0]!;
      if (letter.messageId !== undefined) assert.equal(letter.messageId, sent.messageId);
      if (letter.data) {
        const decoded = Message.decode(letter.data);
        assert.equal(decoded.messageId, sent.messageId);
        assert.equal(decoded.options.retries, 2, "the dead letter is the last delivery as received");
      }
    },
  },
  {
    id: "join",
    title: "join waits for a queue to drain and times out with QueueJoinTimeout",
    async run(c) {
      let done = false;
      const slow = actor(
        async function conf_slow() {
          await sleep(c.t(30));
          done = true;
        },
        { broker: c.broker, queueName: c.queue },
      );
      await c.join(); // an empty queue joins at once
      await slow.send();
      await assert.rejects(c.broker.join(c.queue, { timeout: c.t(100), failFast: false }), QueueJoinTimeout);
      await c.worker();
      await c.join();
      assert.equal(done, true, "join resolved before the message was processed");
    },
  },
  {
    id: "flush",
    title: "flush empties a queue and its delay queue, and only those",
    async run(c) {
      c.broker.declareQueue(c.queue);
      const other = c.otherQueue();
      await enqueueNoops(c, 2);
      await c.broker.enqueue(new Message({ queueName: c.queue, actorName: "conf_noop" }), { delay: c.t(60_000) });
      const [keep] = await enqueueNoops(c, 1, other);
      await c.broker.flush(c.queue);
      await c.join(c.queue, 1000);
      assert.equal(await c.consume(c.queue).next(), null);
      assert.equal(await c.consume(dqName(c.queue)).next(), null);
      const kept = await nextMessage(c.consume(other), c.t(2000));
      assert.equal(kept.messageId, keep);
    },
  },
  {
    id: "flush-all",
    title: "flushAll empties every declared queue and delay queue",
    async run(c) {
      c.broker.declareQueue(c.queue);
      const other = c.otherQueue();
      for (const q of [c.queue, other]) {
        await enqueueNoops(c, 2, q);
        await c.broker.enqueue(new Message({ queueName: q, actorName: "conf_noop" }), { delay: c.t(60_000) });
      }
      await c.broker.flushAll();
      for (const q of [c.queue, other]) {
        await c.join(q, 1000);
        assert.equal(await c.consume(q).next(), null);
        assert.equal(await c.consume(dqName(q)).next(), null);
      }
    },
  },
  {
    id: "graceful-stop",
    title: "worker.stop() finishes running work and puts prefetched messages back (none lost)",
    async run(c) {
      const started: string[] = [];
      const finished: string[] = [];
      const firstStarted = deferred<void>();
      const slow = actor(
        async function conf_slow_stop(id: string) {
          started.push(id);
          firstStarted.resolve();
          await sleep(c.t(60));
          finished.push(id);
        },
        { broker: c.broker, queueName: c.queue },
      );
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(`m${i}`);
      const worker = await c.worker({ concurrency: 1, prefetch: 10 });
      for (const id of ids) await slow.send(id);
      await c.deliveries.waitFor(c.queue, 5, c.t(3000));
      await firstStarted.promise;
      await worker.stop({ timeout: c.t(3000) });
      assert.deepEqual(finished, started, "stop must let running messages finish");
      assert.ok(finished.length < ids.length, "the test needs unstarted messages at stop time");

      await c.worker();
      await c.join();
      assert.deepEqual(sorted([...new Set(finished)]), ids, "every message ran at least once");
      assert.equal((await c.deadLetters()).length, 0);
    },
  },
  {
    id: "poison",
    title: "dead-letters undecodable payloads with a reason and keeps consuming",
    async run(c) {
      const { good, seen } = declareGoodActor(c);
      const notJson = Buffer.from("this is not json {", "utf8");
      const badUtf8 = Buffer.from([0xff, 0xfe, 0x7b, 0x7d]);
      const unknownKey = Buffer.from(
        JSON.stringify({
          queue_name: c.queue,
          actor_name: "conf_good",
          args: [0],
          kwargs: {},
          options: {},
          message_id: "0b6f1a52-3d0e-4c2e-9d55-8f2f8a1f0c11",
          message_timestamp: Date.now(),
          surprise: true,
        }),
        "utf8",
      );
      await c.worker();
      for (const bytes of [notJson, badUtf8, unknownKey]) await c.injectRaw(bytes);
      await good.send(1);
      await c.join();
      assert.deepEqual(seen, [1], "the good message after the poison ones must run (and the poison ones must not)");
      const dead = await c.deadLetters();
      for (const [label, bytes] of [["non-JSON", notJson], ["invalid UTF-8", badUtf8], ["unknown top-level key", unknownKey]] as const) {
        const letter = dead.find((d) => d.data?.equals(bytes));
        assert.ok(letter, `the ${label} payload was not dead-lettered with its bytes`);
        if (c.poisonReasons) assert.ok(typeof letter.reason === "string" && letter.reason.length > 0, `the ${label} dead letter has no reason`);
      }
    },
  },
  {
    id: "unknown-actor",
    title: "dead-letters a message for an undeclared actor and keeps consuming",
    async run(c) {
      const { good, seen } = declareGoodActor(c);
      await c.worker();
      const orphan = await c.broker.enqueue(new Message({ queueName: c.queue, actorName: "conf_nobody_declared_this", args: [1] }));
      await good.send(2);
      await c.join();
      assert.deepEqual(seen, [2]);
      const dead = await c.deadLetters();
      assert.equal(dead.length, 1);
      const letter = dead[0]!;
      assert.ok(
        letter.messageId === orphan.messageId || (letter.data !== undefined && Message.decode(letter.data).messageId === orphan.messageId),
        "the dead letter is the orphan message",
      );
    },
  },
  {
    id: "python-producer",
    title: "processes a message written by Python Dramatiq (captured wire bytes)",
    async run(c) {
      const calls: unknown[][] = [];
      const ids: (string | undefined)[] = [];
      actor(
        function add(a: number, b: number) {
          calls.push([a, b]);
        },
        { broker: c.broker, queueName: c.queue },
      );
      // A middleware sees the message as the worker decoded it.
      c.broker.addMiddleware(new (class extends Middleware {
        override beforeProcessMessage(_b: Broker, m: MessageProxy) {
          ids.push(m.messageId);
        }
      })());
      // Spec 1.2's captured `add.send(1, 2)`, byte for byte except for the queue name.
      const bytes = Buffer.from(
        `{"queue_name":"${c.queue}","actor_name":"add","args":[1,2],"kwargs":{},"options":{"redis_message_id":"133e14a1-4bb8-4583-9131-6cff1524ba39"},"message_id":"25011133-8b48-4f97-a0e4-4148e3c4a33f","message_timestamp":1795246445586}`,
        "utf8",
      );
      await c.worker();
      await c.injectRaw(bytes);
      await c.join();
      assert.deepEqual(calls, [[1, 2]]);
      assert.deepEqual(ids, ["25011133-8b48-4f97-a0e4-4148e3c4a33f"], "the Python message id survives");
      assert.equal((await c.deadLetters()).length, 0);
    },
  },
  {
    id: "python-kwargs",
    title: "processes a Python-encoded message with kwargs, \\u escapes and floats",
    async run(c) {
      const calls: unknown[] = [];
      actor(
        function conf_greet(name: string, ratio: number, kwargs: { emoji?: string; big?: number }) {
          calls.push({ name, ratio, ...kwargs });
        },
        { broker: c.broker, queueName: c.queue, acceptKwargs: true },
      );
      const bytes = Buffer.from(
        `{"queue_name":"${c.queue}","actor_name":"conf_greet","args":["Jos\\u00e9",1.5],"kwargs":{"emoji":"\\ud83d\\ude00","big":1e+20},"options":{},"message_id":"3f1c2b9e-7a4d-4e1f-8b6a-2c5d9e0f1a2b","message_timestamp":${Date.now()}}`,
        "utf8",
      );
      await c.worker();
      await c.injectRaw(bytes);
      await c.join();
      assert.deepEqual(calls, [{ name: "José", ratio: 1.5, emoji: "😀", big: 1e20 }]);
      assert.equal((await c.deadLetters()).length, 0);
    },
  },
  {
    id: "max-message-size",
    title: "refuses to send a message over maxMessageSize, writing nothing, and dead-letters a received one undecoded",
    async run(parent) {
      const limit = 4096;
      const c = await parent.withBroker({ maxMessageSize: limit });
      assert.equal(c.broker.maxMessageSize, limit, "makeBroker must pass its options (maxMessageSize) to the broker");
      const seen: number[] = [];
      const good = actor(
        function conf_sized(n: number, _padding: string) {
          seen.push(n);
        },
        { broker: c.broker, queueName: c.queue },
      );
      const big = (n: number) => new Message({ queueName: c.queue, actorName: "conf_sized", args: [n, "x".repeat(limit)] });
      await assert.rejects(c.broker.enqueue(big(100)), (e: unknown) => e instanceof MessageTooLarge && e.limit === limit && e.size > limit);
      const batch = [good.message(101, ""), big(102), good.message(103, "")];
      await assert.rejects(c.broker.enqueueMany(batch), MessageTooLarge, "a batch with one message too large");
      // Well within the limit, after whatever options the broker adds on send.
      const within = new Message({ queueName: c.queue, actorName: "conf_sized", args: [104, "y".repeat(limit / 2)] });
      const oversize = big(105);
      await c.worker();
      await good.send(1, "");
      await c.injectRaw(oversize.encode());
      await c.broker.enqueue(within);
      await good.send(2, "");
      await c.join();
      assert.deepEqual(sorted(seen.map(String)), ["1", "104", "2"], "the good messages ran once each, the refused and oversize ones never");
      const dead = await c.deadLetters();
      assert.equal(dead.length, 1, "only the oversize received message is dead-lettered (refused sends wrote nothing)");
      assert.ok(dead[0]!.data?.equals(oversize.encode()) || dead[0]!.messageId === oversize.messageId, "the dead letter is the oversize message");
    },
  },

];

/**
 * Registers the broker conformance suite: one `describe` with an `it` per behaviour
 * every @q broker must have (ack, nack → dead letter as received, requeue,
 * redelivery after a close, prefetch bound, delay queue and eta, the worker end to
 * end: delays, priorities, retries, join, flush, graceful stop, poison payloads,
 * unknown actors, Python producers). Each test gets a fresh broker and unique queue
 * names (safe on shared servers) and flushes them afterwards. Uses the global
 * `describe`/`it`/`beforeEach`/`afterEach` (jest, vitest with globals, mocha) and
 * `node:assert/strict`.
 *
 * @example
 * // test/conformance.test.ts
 * runBrokerConformance({
 *   name: "StubBroker",
 *   makeBroker: (logger) => new StubBroker({ logger }),
 *   injectRaw: async (broker, queue, bytes) => broker.enqueueRaw(queue, bytes),
 *   deadLetters: async (broker, queue) => myDeadLetters(broker, queue),
 * });
 */
export function runBrokerConformance<B extends Broker>(options: BrokerConformanceOptions<B>): void {
  const fw = resolveFramework(options.framework);
  const scale = options.timeScale ?? 1;
  if (!(typeof scale === "number" && scale > 0 && scale < Infinity)) throw new ConfigurationError(`runBrokerConformance: timeScale must be a positive number, got ${String(scale)}.`);
  const t = (ms: number) => Math.max(1, Math.round(ms * scale));
  const consumerTimeout = t(options.consumerTimeout ?? 50);
  const testTimeout = t(options.testTimeout ?? 10_000);
  const skip = new Set<string>(options.skip ?? []);
  for (const id of skip) {
    if (!CASES.some((c) => c.id === id)) throw new ConfigurationError(`runBrokerConformance: unknown case ${JSON.stringify(id)} in skip.`);
  }

  fw.describe(`${options.name}: broker conformance`, () => {
    let state: TestState<B> | undefined;

    fw.beforeEach(async () => {
      state = await TestState.create(options, t, consumerTimeout);
    }, testTimeout);

    fw.afterEach(async () => {
      const s = state;
      state = undefined;
      await s?.dispose(options);
    }, testTimeout);

    for (const def of CASES) {
      const body = async () => {
        assert.ok(state, "beforeEach did not create a broker");
        await def.run(state.ctx as unknown as Ctx<Broker>);
      };
      if (!skip.has(def.id)) fw.it(def.title, body, testTimeout);
      else if (typeof (fw.it as { skip?: unknown }).skip === "function") {
        (fw.it as unknown as { skip: TestFramework["it"] }).skip(def.title, body, testTimeout);
      }
    }
  });
}

/** One test's broker, queues, consumers and workers, and their cleanup. */
class TestState<B extends Broker> {
  readonly consumers: Consumer[] = [];
  readonly workers: Worker[] = [];
  readonly children: TestState<B>[] = [];
  readonly queues: string[];
  readonly ctx: Ctx<B>;

  private constructor(
    readonly broker: B,
    options: BrokerConformanceOptions<B>,
    t: (ms: number) => number,
    consumerTimeout: number,
  ) {
    const queue = uniqueQueueName();
    this.queues = [queue];
    const deliveries = new DeliveryLog();
    observeDeliveries(broker, deliveries);
    this.ctx = {
      broker,
      queue,
      deliveries,
      poisonReasons: options.poisonReasons ?? true,
      t,
      otherQueue: () => {
        const name = uniqueQueueName();
        this.queues.push(name);
        broker.declareQueue(name);
        return name;
      },
      consume: (queueName, consumeOptions = {}) => {
        const consumer = broker.consume(queueName, { timeout: consumerTimeout, prefetch: 1, ...consumeOptions });
        this.consumers.push(consumer);
        return consumer;
      },
      worker: async (workerOptions = {}, paused = false) => {
        const worker = new Worker(broker, { queues: this.queues, timeout: consumerTimeout, restartDelay: t(100), ...workerOptions });
        this.workers.push(worker);
        if (paused) worker.pause();
        await worker.start();
        return worker;
      },
      join: (queueName = queue, timeout = 5000) => broker.join(queueName, { timeout: t(timeout), failFast: false }),
      deadLetters: (queueName = queue) => options.deadLetters(broker, queueName),
      injectRaw: (data, queueName = queue) => options.injectRaw(broker, queueName, data),
      withBroker: async (brokerOptions) => {
        const child = await TestState.create(options, t, consumerTimeout, brokerOptions);
        this.children.push(child);
        return child.ctx;
      },
    };
  }

  static async create<B extends Broker>(
    options: BrokerConformanceOptions<B>,
    t: (ms: number) => number,
    consumerTimeout: number,
    brokerOptions?: KitBrokerOptions,
  ): Promise<TestState<B>> {
    const logger = options.logger ?? silentLogger();
    const broker = await (brokerOptions ? options.makeBroker(logger, brokerOptions) : options.makeBroker(logger));
    return new TestState(broker, options, t, consumerTimeout);
  }

  async dispose(options: BrokerConformanceOptions<B>): Promise<void> {
    const errors: unknown[] = [];
    const attempt = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (error) {
        errors.push(error);
      }
    };
    for (const child of this.children) await attempt(() => child.dispose(options));
    for (const worker of this.workers) await attempt(() => worker.stop({ timeout: this.ctx.t(2000) }));
    for (const consumer of this.consumers) await attempt(() => consumer.close());
    for (const queue of this.queues) {
      if (this.broker.queues.has(queue)) await attempt(() => this.broker.flush(queue));
    }
    await attempt(() => (options.destroyBroker ? options.destroyBroker(this.broker) : this.broker.close()));
    if (errors.length) throw errors[0];
  }
}

/** Counts non-null deliveries per queue; lets a test wait for a number of them. */
class DeliveryLog {
  private readonly counts = new Map<string, number>();
  private waiters: { queue: string; n: number; resolve: () => void }[] = [];

  count(queueName: string): number {
    return this.counts.get(queueName) ?? 0;
  }

  record(queueName: string): void {
    this.counts.set(queueName, this.count(queueName) + 1);
    this.waiters = this.waiters.filter((w) => {
      if (w.queue !== queueName || this.count(queueName) < w.n) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once `n` messages of `queueName` were handed out; fails after `timeout` ms. */
  waitFor(queueName: string, n: number, timeout: number): Promise<void> {
    if (this.count(queueName) >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new assert.AssertionError({ message: `only ${this.count(queueName)} of ${n} messages of ${queueName} were delivered within ${timeout} ms` }));
      }, timeout);
      const waiter = {
        queue: queueName,
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }
}

/** Wraps `broker.consume` on this instance so every delivery is counted in `log`. */
function observeDeliveries(broker: Broker, log: DeliveryLog): void {
  const consume = broker.consume.bind(broker);
  const wrapped = (queueName: string, options?: ConsumeOptions): Consumer => {
    const inner = consume(queueName, options);
    return {
      get queueName() {
        return inner.queueName;
      },
      async next() {
        const message = await inner.next();
        if (message) log.record(queueName);
        return message;
      },
      ack: (message) => inner.ack(message),
      nack: (message) => inner.nack(message),
      requeue: (messages) => inner.requeue(messages),
      close: () => inner.close(),
    };
  };
  Object.defineProperty(broker, "consume", { value: wrapped, configurable: true, writable: true });
}

/** Calls `next()` until a message arrives; fails after `timeout` ms. */
/** Internal: the consumer's next message, asking again until one comes or `timeout` ms pass (an AssertionError). */
export async function nextMessage(consumer: Consumer, timeout: number): Promise<MessageProxy> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const message = await consumer.next();
    if (message) return message;
    if (Date.now() >= deadline) throw new assert.AssertionError({ message: `no message on ${consumer.queueName} within ${timeout} ms` });
  }
}

async function enqueueNoops(c: Ctx<Broker>, n: number, queueName = c.queue): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const sent = await c.broker.enqueue(new Message({ queueName, actorName: "conf_noop", args: [i] }));
    ids.push(sent.messageId);
  }
  return ids;
}

/** Declares `conf_good` on the test's queue; it records in `seen` the number each of its messages carries. */
function declareGoodActor(c: Ctx<Broker>): { good: Actor<[n: number], void>; seen: number[] } {
  const seen: number[] = [];
  const good = actor(
    function conf_good(n: number) {
      seen.push(n);
    },
    { broker: c.broker, queueName: c.queue },
  );
  return { good, seen };
}

let silent: Logger | undefined;
function silentLogger(): Logger {
  silent ??= pino({ level: "silent" });
  return silent;
}

function uniqueQueueName(): string {
  return `conformance_${randomBytes(6).toString("hex")}`;
}

function sorted(values: readonly string[]): string[] {
  return [...values].sort();
}


function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Internal: the test functions a kit registers with (given ones, else the globals). */
export function resolveFramework(given: Partial<TestFramework> = {}, kit = "runBrokerConformance"): TestFramework {
  const globals = globalThis as unknown as Partial<TestFramework>;
  const fw: Partial<TestFramework> = {
    describe: given.describe ?? globals.describe,
    it: given.it ?? globals.it,
    beforeEach: given.beforeEach ?? globals.beforeEach,
    afterEach: given.afterEach ?? globals.afterEach,
  };
  const missing = (["describe", "it", "beforeEach", "afterEach"] as const).filter((k) => typeof fw[k] !== "function");
  if (missing.length) {
    throw new ConfigurationError(
      `${kit} needs the test globals ${missing.join(", ")} (jest, vitest with globals: true, mocha), or pass them as \`framework\`.`,
    );
  }
  return fw as TestFramework;
}
