/**
 * The Redis inspector beyond the kit: on Dramatiq's keys as a Python peer leaves them, with
 * a real worker running what it requeues, against racing actions, and with Redis gone.
 */
import { randomUUID } from "node:crypto";
import { ConnectionFailed, MessageNotFound, actor } from "@q/core";
import { RedisBroker } from "../src";
import { keysOf, pythonBytes, useHarness } from "./harness";
import { deferred, silentLogger } from "@q/test-support";

jest.setTimeout(20_000);

const h = useHarness();

/** Dead-letters bytes exactly as Python Dramatiq's nack does: ZADD the XQ (score = ms), HSET its hash. */
async function pythonDeadLetter(namespace: string, queue: string, bytes: Buffer, deadAt: number): Promise<string> {
  const id = randomUUID();
  const k = keysOf(namespace, queue);
  await h.redis.zadd(k.xq, deadAt, id);
  await h.redis.hset(k.xqMsgs, id, bytes);
  return id;
}

describe("RedisInspector on a Python peer's queues", () => {
  it("finds a queue only Python workers use, lists its dead letter with the traceback, and requeues it as a Python producer would enqueue", async () => {
    const broker = h.broker();
    const inspector = broker.inspect();
    const deadAt = Date.now() - 60_000;
    const { bytes, messageId } = pythonBytes({
      queue: "py_only",
      actor: "charge",
      args: "[42]",
      options: '{"redis_message_id":"r1","retries":3,"max_retries":3,"traceback":"Traceback (most recent call last):\\nValueError: card declined"}',
    });
    const storedId = await pythonDeadLetter(broker.namespace, "py_only", bytes, deadAt);

    const queues = await inspector.listQueues();
    expect(queues).toEqual([{ name: "py_only", pending: 0, delayed: 0, deadLetters: 1, inFlight: 0, declared: false }]);

    const page = await inspector.listMessages("py_only", "dead");
    expect(page.messages).toHaveLength(1);
    const shown = page.messages[0]!;
    expect(shown).toMatchObject({ messageId, part: "dead", queueName: "py_only", retries: 3, deadAt, lastError: expect.stringContaining("card declined") });
    expect(shown.data.equals(bytes)).toBe(true);

    const again = await inspector.requeue("py_only", messageId);
    const k = keysOf(broker.namespace, "py_only");
    // An ordinary Dramatiq enqueue: the id in the list, the bytes in the hash under a fresh redis_message_id.
    const listed = await h.redis.lrange(k.queue, 0, -1);
    expect(listed).toEqual([again.options.redis_message_id]);
    expect(listed[0]).not.toBe(storedId);
    const stored = JSON.parse((await h.redis.hget(k.msgs, listed[0]!))!);
    expect(stored).toMatchObject({ queue_name: "py_only", actor_name: "charge", args: [42], message_id: messageId });
    expect(stored.options).toEqual({ redis_message_id: listed[0], retries: 0, max_retries: 3 });
    expect(await h.redis.zcard(k.xq)).toBe(0);
    expect(await h.redis.hlen(k.xqMsgs)).toBe(0);
  });

  it("shows a message a Python worker holds (its ack set) as in flight, counts it, and will not delete it", async () => {
    const broker = h.broker();
    const inspector = broker.inspect();
    const k = keysOf(broker.namespace, "py_held");
    const { bytes, messageId } = pythonBytes({ queue: "py_held", actor: "slow", args: "[]" });
    const python = randomUUID();
    await h.redis.hset(k.msgs, "held-1", bytes);
    await h.redis.sadd(k.acks(python), "held-1");
    await h.redis.zadd(k.heartbeats, Date.now(), python);

    const [summary] = await inspector.listQueues({ include: ["py_held"] });
    expect(summary).toMatchObject({ name: "py_held", pending: 1, inFlight: 1 });
    const page = await inspector.listMessages("py_held", "queue");
    expect(page.messages.map((m) => [m.messageId, m.inFlight])).toEqual([[messageId, true]]);
    await expect(inspector.deleteMessage("py_held", "queue", messageId)).rejects.toThrow(MessageNotFound);
    expect(await h.redis.hexists(k.msgs, "held-1")).toBe(1);
    const workers = await inspector.listWorkers();
    expect(workers).toEqual([{ id: python, lastSeen: expect.any(Number), inFlight: 1, stale: false }]);
  });
});

describe("RedisInspector with a real worker", () => {
  it("a requeued dead letter runs exactly once, and a requeueAll of the rest runs each exactly once", async () => {
    const broker = h.broker();
    const runs = new Map<number, number>();
    let failing = true;
    const done = deferred<void>();
    actor(
      function flaky(n: number) {
        runs.set(n, (runs.get(n) ?? 0) + 1);
        if (failing) throw new Error(`down for ${n}`);
        if ([...runs.values()].reduce((a, b) => a + b, 0) === 8) done.resolve();
      },
      { broker, queueName: "flaky", maxRetries: 0 },
    );
    const worker = await h.worker(broker);
    const sent = [];
    for (let n = 0; n < 4; n++) sent.push(await broker.enqueue(broker.getActor("flaky").message(n)));
    const inspector = broker.inspect();
    while ((await inspector.listQueues()).find((q) => q.name === "flaky")!.deadLetters < 4) await new Promise((r) => setTimeout(r, 20));
    const dead = await inspector.listMessages("flaky", "dead");
    expect(dead.messages.map((m) => m.messageId).sort()).toEqual(sent.map((m) => m.messageId).sort());
    expect(dead.messages[0]!.lastError).toBeUndefined(); // no retry ran, so no traceback was carried

    failing = false;
    await inspector.requeue("flaky", sent[0]!.messageId);
    await expect(inspector.requeue("flaky", sent[0]!.messageId)).rejects.toThrow(MessageNotFound);
    expect(await inspector.requeueAll("flaky")).toBe(3);
    await done.promise;
    await broker.join("flaky", { timeout: 5000 });
    // A moment for a duplicate to show, if there were one.
    await new Promise((r) => setTimeout(r, 300));
    expect([...runs.entries()].sort()).toEqual([[0, 2], [1, 2], [2, 2], [3, 2]]);
    expect((await inspector.listQueues()).find((q) => q.name === "flaky")).toMatchObject({ pending: 0, deadLetters: 0, inFlight: 0 });
    await worker.stop();
  });

  it("of a requeue and a delete racing for one dead letter exactly one wins, every time", async () => {
    const broker = h.broker();
    broker.declareQueue("race");
    const inspector = broker.inspect();
    const k = keysOf(broker.namespace, "race");
    for (let round = 0; round < 20; round++) {
      const { bytes, messageId } = pythonBytes({ queue: "race", actor: "noop", args: `[${round}]` });
      await pythonDeadLetter(broker.namespace, "race", bytes, Date.now());
      // A second inspector: each resolves the id on its own, as two dashboard tabs would.
      const other = h.broker({ namespace: broker.namespace }).inspect();
      const results = await Promise.allSettled([inspector.requeue("race", messageId), other.deleteMessage("race", "dead", messageId)]);
      const won = results.filter((r) => r.status === "fulfilled").length;
      expect(won).toBe(1);
      for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(MessageNotFound);
      const onQueue = await h.redis.llen(k.queue);
      expect(onQueue).toBe(results[0]!.status === "fulfilled" ? 1 : 0);
      expect(await h.redis.zcard(k.xq)).toBe(0);
      await h.redis.del(k.queue, k.msgs);
    }
  });
});

describe("RedisInspector with Redis gone", () => {
  it("fails with ConnectionFailed within the broker's default connectTimeout, not hangs", async () => {
    const broker = new RedisBroker({ url: "redis://127.0.0.1:1", logger: silentLogger() });
    try {
      const started = Date.now();
      await expect(broker.inspect().listQueues({ include: ["default"] })).rejects.toThrow(ConnectionFailed);
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(4500);
      expect(took).toBeLessThan(10_000);
    } finally {
      await broker.close();
    }
  });
});
