/**
 * Dead letters on Redis: nacked deliveries (reference 17.1 items 20, 21, 24) and
 * payloads that cannot be decoded (an @q addition to 6.2: Dramatiq leaves those stuck
 * in the ack set, @q dead-letters them with the reason in the logs).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { BrokerError, Message, MessageProxy, actor } from "@q/core";
import { keysOf, pythonBytes, rawEnqueue, useHarness } from "./harness";
import { LEVEL, captureLogger, waitFor } from "@q/test-support";

jest.setTimeout(15_000);

const h = useHarness();

describe("dead letters", () => {
  it("a message that fails for good is dead-lettered with its bytes as received and the nack time", async () => {
    const broker = h.broker();
    const k = keysOf(broker.namespace, "dl");
    const fail = actor(function doomed(_n: number) {
      throw new Error("boom");
    }, { broker, queueName: "dl", maxRetries: 0 });

    const sent = await fail.send(7);
    const id = sent.options.redis_message_id as string;
    const asSent = (await h.redis.hgetBuffer(k.msgs, id))!;
    const before = Date.now();
    await h.worker(broker);
    await broker.join("dl", { timeout: 5000 });

    const letters = await broker.getDeadLetters("dl");
    expect(letters).toHaveLength(1);
    expect(letters[0]!.id).toBe(id);
    expect(letters[0]!.data.equals(asSent)).toBe(true);
    expect(letters[0]!.deadAt).toBeGreaterThanOrEqual(before);
    expect(letters[0]!.deadAt).toBeLessThanOrEqual(Date.now());
    expect(Message.decode(letters[0]!.data).messageId).toBe(sent.messageId);
    expect(await h.redis.exists(k.queue, k.msgs, k.acks(broker.brokerId))).toBe(0);
  });

  it("maintenance removes dead letters older than deadMessageTtl and keeps younger ones", async () => {
    const broker = h.broker({ deadMessageTtl: 5000, maintenanceInterval: 100 });
    const k = keysOf(broker.namespace, "dl");
    const fail = actor(function doomed(_n: number) {
      throw new Error("boom");
    }, { broker, queueName: "dl", maxRetries: 0 });

    const [old, young] = await Promise.all([fail.send(1), fail.send(2)]);
    const oldId = old.options.redis_message_id as string;
    const youngId = young.options.redis_message_id as string;
    await h.worker(broker);
    await waitFor("two dead letters", async () => (await h.redis.zcard(k.xq)) === 2);
    await h.redis.zadd(k.xq, Date.now() - 60_000, oldId); // dead-lettered a minute ago

    await waitFor("the old dead letter to expire", async () => (await h.redis.zscore(k.xq, oldId)) === null, { timeout: 3000 });
    expect(await h.redis.hexists(k.xqMsgs, oldId)).toBe(0);
    expect(await h.redis.zrange(k.xq, "0", "-1")).toEqual([youngId]);
    expect(await h.redis.hkeys(k.xqMsgs)).toEqual([youngId]);
    expect((await broker.getDeadLetters("dl")).map((l) => l.id)).toEqual([youngId]);
  });

  it("a producer's dispatch call that rolls maintenance also expires old dead letters", async () => {
    const broker = h.broker({ deadMessageTtl: 5000, maintenanceChance: 1_000_000 });
    const k = keysOf(broker.namespace, "dl");
    const noop = actor(function noop() {}, { broker, queueName: "dl" });
    await h.redis.zadd(k.xq, Date.now() - 60_000, "expired", Date.now(), "recent");
    await h.redis.hset(k.xqMsgs, "expired", "x", "recent", "y");

    await noop.send();

    expect(await h.redis.zrange(k.xq, "0", "-1")).toEqual(["recent"]);
    expect(await h.redis.hkeys(k.xqMsgs)).toEqual(["recent"]);
  });

  it("a producer's maintenance recovers dead workers' messages but never runs the KEYS clean-up that forgets them", async () => {
    const broker = h.broker({ heartbeatTimeout: 1000, maintenanceChance: 1_000_000 });
    const k = keysOf(broker.namespace, "dl");
    const noop = actor(function noop() {}, { broker, queueName: "dl" });
    // A worker that died long ago, holding one message of dl.
    await h.redis.zadd(k.heartbeats, Date.now() - 60_000, "dead-worker");
    await h.redis.hset(k.msgs, "held", "x");
    await h.redis.sadd(k.acks("dead-worker"), "held");

    await noop.send();

    expect(await h.redis.lindex(k.queue, 0)).toBe("held");
    expect(await h.redis.exists(k.acks("dead-worker"))).toBe(0);
    // Forgetting a dead worker needs a KEYS scan: only consumers' maintenance ticks do that.
    expect(await h.redis.zscore(k.heartbeats, "dead-worker")).not.toBeNull();
  });

  it("a consumer's nack of a message whose id is gone does not raise; an ack or nack of a message it never handed out rejects with BrokerError and changes nothing", async () => {
    const broker = h.broker();
    const k = keysOf(broker.namespace, "dl");
    broker.declareQueue("dl");
    await broker.enqueue(new Message({ queueName: "dl", actorName: "whatever", args: [1] }));
    const consumer = broker.consume("dl", { prefetch: 1, timeout: 1000 });
    try {
      const proxy = (await consumer.next())!;
      expect(proxy).not.toBeNull();
      await broker.flush("dl"); // its payload and ack entry are gone
      await expect(consumer.nack(proxy)).resolves.toBeUndefined();

      const stranger = new MessageProxy(new Message({ queueName: "dl", actorName: "whatever", options: { redis_message_id: "missing" } }));
      // Not held: an ack that did nothing must not count as one (the worker then skips afterAck).
      await expect(consumer.nack(stranger)).rejects.toThrow(new BrokerError(`Cannot nack message ${stranger.messageId}: the consumer of dl does not hold it.`));
      await expect(consumer.ack(stranger)).rejects.toBeInstanceOf(BrokerError);
      await expect(broker.dispatch("nack", "dl", ["missing"], "0")).resolves.toBe(0);
      expect(await h.redis.exists(k.xq, k.xqMsgs)).toBe(0);
    } finally {
      await consumer.close();
    }
  });

  it("undecodable payloads go to the dead letters with the reason logged, and good messages fetched in the same batch still run", async () => {
    const { logger, find } = captureLogger("info");
    const broker = h.broker({ logger });
    const k = keysOf(broker.namespace, "dl");
    const ran: number[] = [];
    actor(function good(n: number) {
      ran.push(n);
    }, { broker, queueName: "dl" });

    const valid = (n: number, id: string) => pythonBytes({ queue: "dl", actor: "good", args: `[${n}]`, options: `{"redis_message_id":"${id}"}` }).bytes;
    const validText = valid(0, "x").toString("ascii");
    const poison: Record<string, { bytes: Buffer; reason: string | RegExp }> = {
      "bad-utf8": { bytes: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), reason: /undecodable message/ },
      "not-json": { bytes: Buffer.from("this is not json"), reason: /undecodable message/ },
      "unknown-key": { bytes: Buffer.from(validText.replace(/}$/, ',"extra":1}')), reason: "unknown message field(s): extra" },
      "wrong-types": { bytes: Buffer.from(validText.replace('"args":[0]', '"args":"0"').replace('"kwargs":{}', '"kwargs":[]')), reason: /args must be an array.*kwargs must be an object/ },
      "not-an-object": { bytes: Buffer.from("[1,2,3]"), reason: "a message must be a JSON object" },
    };
    for (const [id, { bytes }] of Object.entries(poison)) await rawEnqueue(h.redis, broker.namespace, "dl", id, bytes);
    await rawEnqueue(h.redis, broker.namespace, "dl", "good-1", valid(1, "good-1"));
    await rawEnqueue(h.redis, broker.namespace, "dl", "good-2", valid(2, "good-2"));
    // And one on the delay queue: its dead letter goes to dl.XQ too.
    await rawEnqueue(h.redis, broker.namespace, "dl.DQ", "delayed-poison", Buffer.from("{not json"));

    await h.worker(broker, { prefetch: 16 }); // one fetch takes the whole list
    await waitFor("the good messages", () => ran.length === 2);
    await waitFor("every dead letter", async () => (await h.redis.zcard(k.xq)) === 6);

    expect(ran.sort()).toEqual([1, 2]);
    expect((await h.redis.zrange(k.xq, "0", "-1")).sort()).toEqual([...Object.keys(poison), "delayed-poison"].sort());
    for (const [id, { bytes, reason }] of Object.entries(poison)) {
      expect((await h.redis.hgetBuffer(k.xqMsgs, id))!.equals(bytes)).toBe(true);
      const lines = find(LEVEL.error, `undecodable message ${id} on dl `);
      expect(lines).toHaveLength(1);
      expect(lines[0]!.msg).toMatch(reason);
    }
    expect(find(LEVEL.error, "undecodable message delayed-poison on dl.DQ ")).toHaveLength(1);
    await waitFor("the queues to drain", async () =>
      (await h.redis.exists(k.queue, k.msgs, k.dq, k.dqMsgs, k.acks(broker.brokerId), k.acks(broker.brokerId, "dl.DQ"))) === 0,
    );
  });

  it("an id on the list whose payload is missing is dropped with a warning and does not stall the queue", async () => {
    const { logger, find } = captureLogger("info");
    const broker = h.broker({ logger });
    const k = keysOf(broker.namespace, "dl");
    const ran: number[] = [];
    actor(function good(n: number) {
      ran.push(n);
    }, { broker, queueName: "dl" });

    await h.redis.rpush(k.queue, "ghost");
    await rawEnqueue(h.redis, broker.namespace, "dl", "good-1", pythonBytes({ queue: "dl", actor: "good", args: "[1]", options: '{"redis_message_id":"good-1"}' }).bytes);
    await h.worker(broker);

    await waitFor("the good message", () => ran.length === 1);
    expect(ran).toEqual([1]);
    expect(find(LEVEL.warn, "Message ghost on dl has no payload")).toHaveLength(1);
    await waitFor("the ack set to empty", async () => (await h.redis.exists(k.queue, k.msgs, k.acks(broker.brokerId))) === 0);
    await sleep(50);
    expect(await h.redis.exists(k.xq, k.xqMsgs)).toBe(0);
  });
});
