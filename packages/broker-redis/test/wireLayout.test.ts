/**
 * What @q writes to Redis must be what Dramatiq writes (reference 6.1 and the captures
 * of 6.3): same keys, same types, same bytes, same option order.
 */
import { actor } from "@q/core";
import { keysOf, useHarness } from "./harness";
import { waitFor } from "@q/test-support";

jest.setTimeout(15_000);

const h = useHarness();
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The captured JSON shape of 6.3, built field by field. */
function wireBytes(m: { queue: string; actor: string; args: string; options: string; messageId: string; timestamp: number }): string {
  return (
    `{"queue_name":"${m.queue}","actor_name":"${m.actor}","args":${m.args},"kwargs":{},` +
    `"options":${m.options},"message_id":"${m.messageId}","message_timestamp":${m.timestamp}}`
  );
}

async function keysOfNamespace(namespace: string): Promise<string[]> {
  return (await h.redis.keys(`${namespace}:*`)).sort();
}

describe("Redis wire layout (reference 6.3)", () => {
  it("a plain send puts the id on the list, the exact Dramatiq bytes in the hash and the producer in the heartbeats", async () => {
    const broker = h.broker();
    const k = keysOf(broker.namespace, "wire");
    const add = actor(function add(a: number, b: number) {
      return a + b;
    }, { broker, queueName: "wire" });

    const before = Date.now();
    const sent = await add.send(1, 2);
    const after = Date.now();
    const id = sent.options.redis_message_id as string;

    expect(id).toMatch(UUID4);
    expect(sent.messageId).toMatch(UUID4);
    expect(await keysOfNamespace(broker.namespace)).toEqual([k.heartbeats, k.queue, k.msgs].sort());
    expect(await h.redis.type(k.queue)).toBe("list");
    expect(await h.redis.lrange(k.queue, 0, -1)).toEqual([id]);
    expect(await h.redis.type(k.msgs)).toBe("hash");
    expect(await h.redis.hkeys(k.msgs)).toEqual([id]);
    const stored = (await h.redis.hgetBuffer(k.msgs, id))!.toString("utf8");
    expect(stored).toBe(
      wireBytes({ queue: "wire", actor: "add", args: "[1,2]", options: `{"redis_message_id":"${id}"}`, messageId: sent.messageId, timestamp: sent.messageTimestamp }),
    );
    expect(await h.redis.type(k.heartbeats)).toBe("zset");
    expect(await h.redis.zrange(k.heartbeats, "0", "-1")).toEqual([broker.brokerId]);
    const beat = Number(await h.redis.zscore(k.heartbeats, broker.brokerId));
    expect(beat).toBeGreaterThanOrEqual(before);
    expect(beat).toBeLessThanOrEqual(after);
  });

  it("a delayed send goes to q.DQ with queue_name q.DQ and options redis_message_id then eta", async () => {
    const broker = h.broker();
    const k = keysOf(broker.namespace, "wire");
    const add = actor(function add(a: number, b: number) {
      return a + b;
    }, { broker, queueName: "wire" });

    const before = Date.now();
    const sent = await add.sendWithOptions({ args: [3, 4], delay: 60_000 });
    const after = Date.now();
    const id = sent.options.redis_message_id as string;
    const eta = sent.options.eta as number;

    expect(Number.isInteger(eta)).toBe(true);
    expect(eta).toBeGreaterThanOrEqual(before + 60_000);
    expect(eta).toBeLessThanOrEqual(after + 60_000);
    expect(await keysOfNamespace(broker.namespace)).toEqual([k.heartbeats, k.dq, k.dqMsgs].sort());
    expect(await h.redis.lrange(k.dq, 0, -1)).toEqual([id]);
    expect((await h.redis.hgetBuffer(k.dqMsgs, id))!.toString("utf8")).toBe(
      wireBytes({
        queue: "wire.DQ",
        actor: "add",
        args: "[3,4]",
        options: `{"redis_message_id":"${id}","eta":${eta}}`,
        messageId: sent.messageId,
        timestamp: sent.messageTimestamp,
      }),
    );
  });

  it("a retry in flight replaces the original with a q.DQ copy (captured option order) held in the worker's DQ ack set, and stop() returns it to the q.DQ list", async () => {
    const broker = h.broker();
    const k = keysOf(broker.namespace, "wire");
    const fail = actor(function fail(_x: string) {
      throw new Error("interop failure");
    }, { broker, queueName: "wire" });

    const sent = await fail.sendWithOptions({ args: ["r"], maxRetries: 1, minBackoff: 60_000, maxBackoff: 60_000 });
    const originalId = sent.options.redis_message_id as string;
    expect(Object.keys(sent.options)).toEqual(["max_retries", "min_backoff", "max_backoff", "redis_message_id"]);

    const worker = await h.worker(broker);
    const dqAcks = k.acks(broker.brokerId, "wire.DQ");
    const [retryId] = await waitFor("the retry to be fetched by the DQ consumer", async () => {
      const ids = await h.redis.smembers(dqAcks);
      return ids.length === 1 ? ids : undefined;
    });

    expect(retryId).toMatch(UUID4);
    expect(retryId).not.toBe(originalId);
    expect(await h.redis.exists(k.queue, k.msgs)).toBe(0);
    expect(await h.redis.exists(k.acks(broker.brokerId))).toBe(0);
    expect(await h.redis.exists(k.dq)).toBe(0); // fetched: only in the ack set
    expect(await h.redis.hkeys(k.dqMsgs)).toEqual([retryId]);

    const bytes = (await h.redis.hgetBuffer(k.dqMsgs, retryId!))!.toString("utf8");
    const stored = JSON.parse(bytes) as Record<string, any>;
    expect(Object.keys(stored)).toEqual(["queue_name", "actor_name", "args", "kwargs", "options", "message_id", "message_timestamp"]);
    expect(stored).toMatchObject({ queue_name: "wire.DQ", actor_name: "fail", args: ["r"], kwargs: {} });
    expect(stored.message_id).toBe(sent.messageId);
    expect(stored.message_timestamp).toBe(sent.messageTimestamp);
    const options = stored.options as Record<string, unknown>;
    expect(Object.keys(options)).toEqual([
      "max_retries",
      "min_backoff",
      "max_backoff",
      "redis_message_id",
      "retries",
      "traceback",
      "requeue_timestamp",
      "eta",
    ]);
    expect(options).toMatchObject({ max_retries: 1, min_backoff: 60_000, max_backoff: 60_000, redis_message_id: retryId, retries: 1 });
    expect(options.traceback).toEqual(expect.stringContaining("interop failure"));
    expect(Number.isInteger(options.requeue_timestamp)).toBe(true);
    expect(Number.isInteger(options.eta)).toBe(true);
    // Backoff 60000 × U(1,2), past maxBackoff: 60000 × U(0.5,1).
    const delay = (options.eta as number) - (options.requeue_timestamp as number);
    expect(delay).toBeGreaterThanOrEqual(30_000);
    expect(delay).toBeLessThanOrEqual(60_000 + 1000);
    expect(bytes).toBe(JSON.stringify(stored)); // compact separators, nothing extra

    await worker.stop({ timeout: 1000 });

    expect(await h.redis.exists(dqAcks)).toBe(0);
    expect(await h.redis.lrange(k.dq, 0, -1)).toEqual([retryId]);
    expect((await h.redis.hgetBuffer(k.dqMsgs, retryId!))!.toString("utf8")).toBe(bytes);
    expect(await h.redis.exists(k.queue, k.msgs)).toBe(0);
  });

  it("a dead-lettered message is in q.XQ (score = nack time) with the bytes as fetched, and q and q.msgs are gone", async () => {
    const broker = h.broker();
    const k = keysOf(broker.namespace, "wire");
    const fail = actor(function fail(_x: string) {
      throw new Error("interop failure");
    }, { broker, queueName: "wire" });

    const sent = await fail.sendWithOptions({ args: ["x"], maxRetries: 0 });
    const id = sent.options.redis_message_id as string;
    const asSent = (await h.redis.hgetBuffer(k.msgs, id))!;
    expect(asSent.toString("utf8")).toBe(
      wireBytes({
        queue: "wire",
        actor: "fail",
        args: '["x"]',
        options: `{"max_retries":0,"redis_message_id":"${id}"}`,
        messageId: sent.messageId,
        timestamp: sent.messageTimestamp,
      }),
    );

    const started = Date.now();
    await h.worker(broker);
    await waitFor("the dead letter", () => h.redis.exists(k.xq));
    const finished = Date.now();

    expect(await h.redis.type(k.xq)).toBe("zset");
    expect(await h.redis.zrange(k.xq, "0", "-1")).toEqual([id]);
    const deadAt = Number(await h.redis.zscore(k.xq, id));
    expect(deadAt).toBeGreaterThanOrEqual(started);
    expect(deadAt).toBeLessThanOrEqual(finished);
    expect(await h.redis.type(k.xqMsgs)).toBe("hash");
    expect(await h.redis.hkeys(k.xqMsgs)).toEqual([id]);
    const dead = (await h.redis.hgetBuffer(k.xqMsgs, id))!;
    expect(dead.equals(asSent)).toBe(true); // no retries / traceback from memory
    expect(await h.redis.exists(k.queue, k.msgs, k.dq, k.dqMsgs)).toBe(0);
    await waitFor("the ack set to empty", async () => (await h.redis.exists(k.acks(broker.brokerId))) === 0);
    expect(await h.redis.keys(`${broker.namespace}:__acks__.*`)).toEqual([]);
  });

  it("an acked message leaves nothing behind but the heartbeat", async () => {
    const broker = h.broker();
    const k = keysOf(broker.namespace, "wire");
    const ran: number[] = [];
    const add = actor(function add(a: number, b: number) {
      ran.push(a + b);
    }, { broker, queueName: "wire" });

    await add.send(1, 2);
    await h.worker(broker);
    await broker.join("wire", { timeout: 5000 });

    expect(ran).toEqual([3]);
    expect(await keysOfNamespace(broker.namespace)).toEqual([k.heartbeats]);
  });
});
