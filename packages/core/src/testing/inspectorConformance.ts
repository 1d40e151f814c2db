import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import pino from "pino";
import type { Broker } from "../broker/Broker";
import type { Consumer } from "../broker/Consumer";
import { InspectionUnsupported } from "../errors/InspectionUnsupported";
import { MessageNotFound } from "../errors/MessageNotFound";
import { inspectorOf } from "../inspection/inspectorOf";
import type { QueueInspector } from "../inspection/QueueInspector";
import { QUEUE_PARTS, type QueuePart } from "../inspection/QueuePart";
import type { QueueSummary } from "../inspection/QueueSummary";
import type { Logger } from "../logging/Logger";
import { Message } from "../message/Message";
import type { MessageProxy } from "../message/MessageProxy";
import { nextMessage as next, type TestFramework } from "./conformance";
import { registerBackendKit } from "./registerBackendKit";

/**
 * The cases of {@link runInspectorConformance}, by id (for `skip`).
 *
 * @example
 * const skip: InspectorCase[] = ["workers"];
 */
export type InspectorCase =
  | "counts"
  | "include"
  | "list-dead"
  | "list-delayed"
  | "list-queue"
  | "paging"
  | "reading-keeps-messages"
  | "unsupported-parts"
  | "get-message"
  | "requeue"
  | "requeue-all"
  | "delete"
  | "delete-held"
  | "purge"
  | "poison"
  | "workers";

/**
 * How to run the inspector kit against one broker.
 *
 * @example
 * runInspectorConformance({
 *   name: "StubBroker",
 *   makeBroker: (logger) => new StubBroker({ logger }),
 *   injectRaw: async (broker, queue, bytes) => broker.enqueueRaw(queue, bytes),
 * });
 */
export interface InspectorConformanceOptions<B extends Broker = Broker> {
  /** Shown in the `describe` title. */
  name: string;
  /** A fresh broker (with `inspect()`) for one test. */
  makeBroker(logger: Logger): B | Promise<B>;
  /** Disposes of a broker after its test; default `broker.close()`. */
  destroyBroker?(broker: B): Promise<void>;
  /** Writes raw bytes to a queue as a foreign producer would; without it the `poison` case is skipped. */
  injectRaw?(broker: B, queueName: string, data: Buffer): Promise<void>;
  /** The logger handed to `makeBroker`; default pino at level `silent`. */
  logger?: Logger;
  /** Multiplies every wait (for brokers behind a network); default 1. */
  timeScale?: number;
  /** Per-test timeout in ms, before scaling; default 20000. */
  testTimeout?: number;
  /** Cases not to run. */
  skip?: readonly InspectorCase[];
  /** Test functions to use instead of the globals. */
  framework?: Partial<TestFramework>;
}

interface Ctx {
  readonly broker: Broker;
  readonly inspector: QueueInspector;
  /** A unique canonical queue name for this test, declared. */
  readonly queue: string;
  t(ms: number): number;
  consume(queueName?: string, prefetch?: number): Consumer;
  /** Enqueues `n` messages of actor `conf_inspect` with args [i]; returns them in order. */
  send(n: number, options?: { delay?: number; queueName?: string }): Promise<Message[]>;
  /** Sends `n` messages and dead-letters each as a worker gives up on it (consume + nack). */
  deadLetter(n: number): Promise<Message[]>;
  /** Every message of the queue, received once each and acked, until `n` arrived (then checks nothing more comes). */
  drain(n: number): Promise<MessageProxy[]>;
  injectRaw?(data: Buffer): Promise<void>;
  counts(): Promise<QueueSummary>;
  /** Waits (up to 3 s, no failure) until the queue counts `n` dead letters: dead-lettering can be asynchronous. */
  deadLettersReach(n: number): Promise<void>;
  /** The counts once `ready` holds for them, or the last ones after 3 s (the caller asserts). */
  countsWhen(ready: (summary: QueueSummary) => boolean): Promise<QueueSummary>;
}

const CASES: { id: InspectorCase; title: string; run(c: Ctx): Promise<void> }[] = [
  {
    id: "counts",
    title: "listQueues shows a declared queue with its pending, delayed, in-flight and dead-letter counts",
    async run(c) {
      await c.deadLetter(2);
      await c.send(3);
      await c.send(1, { delay: c.t(600_000) });
      const held = c.consume();
      const got = await next(held, c.t(3000));
      const summary = await c.counts();
      assert.equal(summary.declared, true);
      assert.equal(summary.deadLetters, 2, "dead letters");
      assert.equal(summary.delayed, 1, "delayed");
      if (summary.inFlight !== undefined) {
        assert.equal(summary.inFlight, 1, "in flight");
        // Redis counts a held message as pending too; RabbitMQ counts only ready ones.
        assert.ok(summary.pending === 2 || summary.pending === 3, `pending 2 or 3, got ${summary.pending}`);
      } else {
        assert.equal(summary.pending, 2, "ready messages (RabbitMQ cannot see what other channels hold)");
      }
      await held.ack(got);
      // Closed before counting: an open consumer takes the next message once it acked this one
      // (RabbitMQ pushes up to its prefetch), which would then be neither pending nor counted.
      await held.close();
      // What a closed consumer held goes back to the queue, on some brokers a moment later
      // (RabbitMQ quorum queues apply it through Raft): the count may take that moment.
      const after = await c.countsWhen((s) => s.pending >= 2);
      assert.equal(after.pending, 2);
      if (after.inFlight !== undefined) assert.equal(after.inFlight, 0);
      const names = (await c.inspector.listQueues()).map((q) => q.name);
      assert.deepEqual(names, [...names].sort(), "sorted by name");
      assert.ok(!names.some((n) => n.endsWith(".DQ") || n.endsWith(".XQ")), "canonical names only");
    },
  },
  {
    id: "include",
    title: "listQueues adds the names in include, with zero counts and declared false when nothing is there",
    async run(c) {
      const other = `${c.queue}_other`;
      const queues = await c.inspector.listQueues({ include: [other] });
      const found = queues.find((q) => q.name === other);
      assert.ok(found, "an included queue is listed");
      assert.equal(found.declared, false);
      assert.deepEqual([found.pending, found.delayed, found.deadLetters], [0, 0, 0]);
    },
  },
  {
    id: "list-dead",
    title: "lists dead letters with id, actor, args, retries and the time they died, oldest first",
    async run(c) {
      const before = Date.now();
      const sent = await c.deadLetter(3);
      const page = await c.inspector.listMessages(c.queue, "dead");
      assert.deepEqual(page.messages.map((m) => m.messageId), sent.map((m) => m.messageId), "every dead letter, oldest first");
      assert.equal(page.next, undefined, "one page holds all three");
      if (page.total !== undefined) assert.equal(page.total, 3);
      for (const [i, m] of page.messages.entries()) {
        assert.equal(m.part, "dead");
        assert.equal(m.queueName, c.queue);
        assert.equal(m.message?.actorName, "conf_inspect");
        assert.deepEqual(m.message?.args, [i]);
        assert.equal(m.retries, 0);
        assert.equal(m.decodeError, undefined);
        assert.equal(Message.decode(m.data).messageId, m.messageId, "data is the stored bytes");
        assert.equal(m.enqueuedAt, sent[i]!.messageTimestamp);
        if (m.deadAt !== undefined) assert.ok(m.deadAt >= before - 1000 && m.deadAt <= Date.now() + 1000, "deadAt is when it died");
      }
    },
  },
  {
    id: "list-delayed",
    title: "lists delayed messages with their eta",
    async run(c) {
      if (!c.inspector.capabilities.listable.includes("delayed")) return;
      const sent = await c.send(2, { delay: c.t(600_000) });
      const page = await c.inspector.listMessages(c.queue, "delayed");
      assert.deepEqual(page.messages.map((m) => m.messageId).sort(), sent.map((m) => m.messageId).sort());
      for (const m of page.messages) {
        assert.equal(m.part, "delayed");
        assert.equal(m.queueName, c.queue);
        assert.ok(m.eta !== undefined && m.eta > Date.now(), "eta in the future");
      }
    },
  },
  {
    id: "list-queue",
    title: "lists a queue's messages in the order workers get them, and marks those a worker holds",
    async run(c) {
      if (!c.inspector.capabilities.listable.includes("queue")) return;
      const sent = await c.send(4);
      const held = c.consume();
      const got = await next(held, c.t(3000));
      assert.equal(got.messageId, sent[0]!.messageId);
      const page = await c.inspector.listMessages(c.queue, "queue");
      const ids = page.messages.map((m) => m.messageId);
      assert.deepEqual(ids.filter((id) => id !== got.messageId), sent.slice(1).map((m) => m.messageId), "waiting ones in FIFO order");
      const shown = page.messages.find((m) => m.messageId === got.messageId);
      if (shown) assert.equal(shown.inFlight, true, "a held message is marked in flight");
      for (const m of page.messages.filter((x) => x.messageId !== got.messageId)) assert.notEqual(m.inFlight, true);
      await held.ack(got);
    },
  },
  {
    id: "paging",
    title: "pages through dead letters with limit and cursor, each exactly once, in order",
    async run(c) {
      const sent = await c.deadLetter(7);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await c.inspector.listMessages(c.queue, "dead", { limit: 3, cursor });
        assert.ok(page.messages.length <= 3, "at most limit per page");
        seen.push(...page.messages.map((m) => m.messageId));
        cursor = page.next;
        assert.ok(++pages <= 4, "seven messages take three pages (a fourth may be empty)");
      } while (cursor);
      assert.deepEqual(seen, sent.map((m) => m.messageId));
      await assert.rejects(c.inspector.listMessages(c.queue, "dead", { limit: 0 }), (e: unknown) => e instanceof Error && /limit/.test(e.message));
    },
  },
  {
    id: "reading-keeps-messages",
    title: "reading every part never loses, duplicates or reorders a message",
    async run(c) {
      const dead = await c.deadLetter(2);
      const sent = await c.send(5);
      await c.send(1, { delay: c.t(600_000) });
      for (let round = 0; round < 2; round++) {
        for (const part of QUEUE_PARTS) {
          if (c.inspector.capabilities.listable.includes(part)) await c.inspector.listMessages(c.queue, part, { limit: 2 });
          else await assert.rejects(c.inspector.listMessages(c.queue, part), InspectionUnsupported);
        }
        await c.inspector.listQueues();
        await c.inspector.getMessage(c.queue, sent[2]!.messageId);
      }
      const summary = await c.counts();
      assert.deepEqual([summary.pending, summary.delayed, summary.deadLetters], [5, 1, 2]);
      const got = await c.drain(5);
      assert.deepEqual(got.map((m) => m.messageId), sent.map((m) => m.messageId), "all five, once each, in order");
      const page = await c.inspector.listMessages(c.queue, "dead");
      assert.deepEqual(page.messages.map((m) => m.messageId), dead.map((m) => m.messageId));
    },
  },
  {
    id: "unsupported-parts",
    title: "a part it cannot list is refused with InspectionUnsupported naming what it can show",
    async run(c) {
      const caps = c.inspector.capabilities;
      assert.ok(caps.listable.includes("dead"), "dead letters are always listable");
      for (const part of QUEUE_PARTS.filter((p) => !caps.listable.includes(p))) {
        await assert.rejects(c.inspector.listMessages(c.queue, part), (e: unknown) => e instanceof InspectionUnsupported && e.message.length > 20);
      }
      for (const part of QUEUE_PARTS.filter((p) => !caps.deletable.includes(p))) {
        await assert.rejects(c.inspector.deleteMessage(c.queue, part, "x"), InspectionUnsupported);
      }
      await assert.rejects(c.inspector.listMessages(c.queue, "bogus" as QueuePart), (e: unknown) => e instanceof Error && /part/.test(e.message));
    },
  },
  {
    id: "get-message",
    title: "getMessage finds a message by id, and gives undefined for an unknown one",
    async run(c) {
      const [dead] = await c.deadLetter(1);
      const found = await c.inspector.getMessage(c.queue, dead!.messageId);
      assert.equal(found?.messageId, dead!.messageId);
      assert.equal(found?.part, "dead");
      assert.deepEqual(found?.message?.args, [0]);
      assert.equal(await c.inspector.getMessage(c.queue, "00000000-0000-4000-8000-000000000000"), undefined);
      if (c.inspector.capabilities.listable.includes("delayed")) {
        const [delayed] = await c.send(1, { delay: c.t(600_000) });
        assert.equal((await c.inspector.getMessage(c.queue, delayed!.messageId))?.part, "delayed");
      }
      if (c.inspector.capabilities.listable.includes("queue")) {
        const [waiting] = await c.send(1);
        assert.equal((await c.inspector.getMessage(c.queue, waiting!.messageId))?.part, "queue");
      }
    },
  },
  {
    id: "requeue",
    title: "requeue puts a dead letter back on its queue, retries reset and id kept, and a worker gets it exactly once",
    async run(c) {
      const [a, b] = await c.deadLetter(2);
      const requeued = await c.inspector.requeue(c.queue, a!.messageId);
      assert.equal(requeued.messageId, a!.messageId);
      assert.equal(requeued.queueName, c.queue);
      assert.equal(requeued.options.retries ?? 0, 0);
      const summary = await c.counts();
      assert.equal(summary.deadLetters, 1, "the other dead letter stays");
      const [got] = await c.drain(1);
      assert.equal(got!.messageId, a!.messageId);
      assert.equal(got!.options.retries ?? 0, 0);
      assert.deepEqual([...got!.args], [0]);
      await assert.rejects(c.inspector.requeue(c.queue, a!.messageId), (e: unknown) => e instanceof MessageNotFound && e.messageId === a!.messageId);
      const left = await c.inspector.listMessages(c.queue, "dead");
      assert.deepEqual(left.messages.map((m) => m.messageId), [b!.messageId]);
    },
  },
  {
    id: "requeue-all",
    title: "requeueAll moves every dead letter back; a worker gets each exactly once",
    async run(c) {
      const dead = await c.deadLetter(5);
      assert.equal(await c.inspector.requeueAll(c.queue), 5);
      assert.equal((await c.counts()).deadLetters, 0);
      const got = await c.drain(5);
      assert.deepEqual(got.map((m) => m.messageId).sort(), dead.map((m) => m.messageId).sort(), "each once");
      assert.equal(await c.inspector.requeueAll(c.queue), 0);
    },
  },
  {
    id: "delete",
    title: "deleteMessage removes one message and nothing else; deleting it again is MessageNotFound",
    async run(c) {
      const [a, b] = await c.deadLetter(2);
      await c.inspector.deleteMessage(c.queue, "dead", a!.messageId);
      await assert.rejects(c.inspector.deleteMessage(c.queue, "dead", a!.messageId), MessageNotFound);
      await assert.rejects(c.inspector.requeue(c.queue, a!.messageId), MessageNotFound, "a deleted dead letter cannot be requeued");
      const left = await c.inspector.listMessages(c.queue, "dead");
      assert.deepEqual(left.messages.map((m) => m.messageId), [b!.messageId]);
      if (c.inspector.capabilities.deletable.includes("queue")) {
        const sent = await c.send(3);
        await c.inspector.deleteMessage(c.queue, "queue", sent[1]!.messageId);
        const got = await c.drain(2);
        assert.deepEqual(got.map((m) => m.messageId), [sent[0]!.messageId, sent[2]!.messageId]);
      }
      if (c.inspector.capabilities.deletable.includes("delayed")) {
        const [d] = await c.send(1, { delay: c.t(600_000) });
        await c.inspector.deleteMessage(c.queue, "delayed", d!.messageId);
        assert.equal((await c.counts()).delayed, 0);
      }
    },
  },
  {
    id: "delete-held",
    title: "a message a worker holds cannot be deleted under it: MessageNotFound, and the worker acks it normally",
    async run(c) {
      if (!c.inspector.capabilities.deletable.includes("queue")) return;
      const [sent] = await c.send(1);
      const held = c.consume();
      const got = await next(held, c.t(3000));
      await assert.rejects(c.inspector.deleteMessage(c.queue, "queue", sent!.messageId), MessageNotFound);
      await held.ack(got);
      const summary = await c.counts();
      assert.equal(summary.pending, 0);
    },
  },
  {
    id: "purge",
    title: "purge empties one part and returns how many it removed; the other parts keep theirs",
    async run(c) {
      await c.deadLetter(3);
      const sent = await c.send(2);
      assert.equal(await c.inspector.purge(c.queue, "dead"), 3);
      let summary = await c.counts();
      assert.deepEqual([summary.deadLetters, summary.pending], [0, 2]);
      assert.equal(await c.inspector.purge(c.queue, "dead"), 0);
      await c.send(1, { delay: c.t(600_000) });
      assert.equal(await c.inspector.purge(c.queue, "delayed"), 1);
      summary = await c.counts();
      assert.deepEqual([summary.delayed, summary.pending], [0, 2]);
      assert.equal(await c.inspector.purge(c.queue, "queue"), 2);
      summary = await c.counts();
      assert.equal(summary.pending, 0);
      void sent;
    },
  },
  {
    id: "poison",
    title: "an undecodable dead letter is listed with its bytes and why it does not decode",
    async run(c) {
      assert.ok(c.injectRaw);
      const bytes = Buffer.from("not json at all {", "utf8");
      await c.injectRaw(bytes);
      const consumer = c.consume();
      // The consumer dead-letters the payload itself instead of handing it out. One idle wait of
      // next() may end before the payload even arrived (a loaded machine): wait until it is a dead letter.
      const deadline = Date.now() + c.t(3000);
      do assert.equal(await consumer.next(), null);
      while ((await c.counts()).deadLetters < 1 && Date.now() < deadline);
      await consumer.close();
      const page = await c.inspector.listMessages(c.queue, "dead");
      assert.equal(page.messages.length, 1);
      const m = page.messages[0]!;
      assert.equal(m.message, undefined);
      assert.ok(m.decodeError && m.decodeError.length > 0, "says why");
      assert.ok(m.data.equals(bytes), "the bytes as stored");
      assert.ok(m.messageId.length > 0, "an id the actions take");
      await c.inspector.deleteMessage(c.queue, "dead", m.messageId);
      assert.equal((await c.counts()).deadLetters, 0);
    },
  },
  {
    id: "workers",
    title: "listWorkers shows a consuming worker with what it holds, or undefined where the broker keeps no registry",
    async run(c) {
      const workers = await c.inspector.listWorkers();
      if (!c.inspector.capabilities.workers) {
        assert.equal(workers, undefined);
        return;
      }
      await c.send(2);
      const held = c.consume(c.queue, 2);
      const got = [await next(held, c.t(3000)), await next(held, c.t(3000))];
      const list = (await c.inspector.listWorkers()) ?? [];
      const holder = list.find((w) => w.inFlight >= 2);
      assert.ok(holder, `a worker holding two messages in ${JSON.stringify(list)}`);
      assert.equal(holder.stale, false);
      assert.ok(Math.abs(holder.lastSeen - Date.now()) < c.t(10_000));
      for (const m of got) await held.ack(m);
    },
  },
];

/**
 * Registers the behaviour every broker's {@link QueueInspector} must have with your test
 * framework: counts, listing and paging without losing or reordering a message, lookups,
 * requeue, delete and purge that act exactly once and fail with `MessageNotFound` when the
 * message moved, and `InspectionUnsupported` for what the broker cannot show.
 *
 * @example
 * import { runInspectorConformance } from "@q/core/testing";
 * runInspectorConformance({ name: "RedisBroker", makeBroker: (logger) => new RedisBroker({ logger }) });
 */
export function runInspectorConformance<B extends Broker>(options: InspectorConformanceOptions<B>): void {
  const scale = options.timeScale ?? 1;
  const logger = options.logger ?? pino({ level: "silent" });
  const skip = [...(options.skip ?? []), ...(options.injectRaw ? [] : (["poison"] as const))];
  registerBackendKit<B, Ctx>({
    kit: "runInspectorConformance",
    title: `${options.name} inspector conformance`,
    cases: CASES,
    framework: options.framework,
    testTimeout: (options.testTimeout ?? 20_000) * scale,
    skip,
    async destroyBackend(broker) {
      // A held message goes back to its queue before the broker closes, as a stopping worker's would.
      for (const consumer of openConsumers.get(broker) ?? []) await consumer.close().catch(() => undefined);
      await (options.destroyBroker ? options.destroyBroker(broker) : broker.close());
    },
    async makeContext(track) {
      const broker = track(await options.makeBroker(logger));
      const queue = `conf_inspect_${randomBytes(5).toString("hex")}`;
      broker.declareQueue(queue);
      const inspector = inspectorOf(broker);
      assert.equal(broker.inspect!(), inspector, "inspect() returns the same inspector every time");
      const consumers: Consumer[] = [];
      const t = (ms: number) => ms * scale;
      const consume = (queueName = queue, prefetch = 1) => {
        const consumer = broker.consume(queueName, { prefetch, timeout: t(50) });
        consumers.push(consumer);
        return consumer;
      };
      const send = async (n: number, o: { delay?: number; queueName?: string } = {}) => {
        const out: Message[] = [];
        for (let i = 0; i < n; i++) {
          out.push(await broker.enqueue(new Message({ queueName: o.queueName ?? queue, actorName: "conf_inspect", args: [i] }), { delay: o.delay }));
        }
        return out;
      };
      const ctx: Ctx = {
        broker,
        inspector,
        queue,
        t,
        consume,
        send,
        async deadLetter(n) {
          const before = (await ctx.counts()).deadLetters;
          const sent = await send(n);
          const consumer = consume();
          for (let i = 0; i < n; i++) {
            const got = await next(consumer, t(3000));
            assert.equal(got.messageId, sent[i]!.messageId, "dead-lettered in order");
            got.fail();
            await consumer.nack(got);
            // Distinct dead-letter times: brokers order dead letters by them (Redis: a score in ms).
            await new Promise((r) => setTimeout(r, 3));
          }
          await consumer.close();
          // Dead-lettering may finish after the nack (RabbitMQ moves the message to .XQ on its own;
          // quorum queues confirm it first): wait until the broker counts them all.
          await ctx.deadLettersReach(before + n);
          return sent;
        },
        async drain(n) {
          const consumer = consume(queue, 1);
          const got: MessageProxy[] = [];
          while (got.length < n) {
            const m = await next(consumer, t(5000));
            got.push(m);
            await consumer.ack(m);
          }
          // A short idle wait: nothing else (no duplicate) arrives.
          assert.equal(await consumer.next(), null, `exactly ${n} messages, no duplicate`);
          await consumer.close();
          return got;
        },
        injectRaw: options.injectRaw ? (data) => options.injectRaw!(broker, queue, data) : undefined,
        async deadLettersReach(n) {
          // Not an assertion: a broker that never gets there fails the case's own checks after.
          await ctx.countsWhen((s) => s.deadLetters >= n);
        },
        async countsWhen(ready) {
          const deadline = Date.now() + t(3000);
          for (;;) {
            const summary = await ctx.counts();
            if (ready(summary) || Date.now() >= deadline) return summary;
            await new Promise((r) => setTimeout(r, 20));
          }
        },
        async counts() {
          const all = await inspector.listQueues({ include: [queue] });
          const found = all.find((q) => q.name === queue);
          assert.ok(found, `${queue} is listed`);
          return found;
        },
      };
      openConsumers.set(broker, consumers);
      return ctx;
    },
  });
}

const openConsumers = new WeakMap<Broker, Consumer[]>();
