/**
 * Python Dramatiq and @q share queues both ways: a "Python producer" here is raw Redis
 * commands exactly as Dramatiq's dispatch script runs them (HSET the payload, RPUSH the
 * id); a "Python worker" is its ack set and heartbeat.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { randomUUID } from "node:crypto";
import { CurrentMessage, actor } from "@q/core";
import { keysOf, pythonBytes, rawEnqueue, useHarness } from "./harness";
import { deferred, waitFor } from "@q/test-support";

jest.setTimeout(15_000);

const h = useHarness();
const FIELDS = ["queue_name", "actor_name", "args", "kwargs", "options", "message_id", "message_timestamp"];

/** What Python's json.dumps(separators=(",", ":")) would write for this value. */
function pythonDumps(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

describe("Python producer → @q worker", () => {
  it("runs a message a Python producer wrote (HSET + RPUSH, no wake-up) and removes it once done", async () => {
    const broker = h.broker();
    const k = keysOf(broker.namespace, "py");
    const seen: { args: unknown[]; kwargs: unknown; messageId: string | undefined }[] = [];
    actor(
      function greet(name: string, factor: number, kwargs: Record<string, unknown>) {
        seen.push({ args: [name, factor], kwargs, messageId: CurrentMessage.getCurrentMessage()?.messageId });
      },
      { broker, queueName: "py", acceptKwargs: true },
    );
    await h.worker(broker);

    const id = randomUUID();
    const { bytes, messageId } = pythonBytes({
      queue: "py",
      actor: "greet",
      args: '["caf\\u00e9 \\ud83d\\ude00",1.5]',
      kwargs: '{"who":"\\u00e9l\\u00e8ve"}',
      options: `{"redis_message_id":"${id}"}`,
    });
    await rawEnqueue(h.redis, broker.namespace, "py", id, bytes);
    await waitFor("the Python message to run", () => seen.length === 1);

    expect(seen[0]).toEqual({ args: ["café 😀", 1.5], kwargs: { who: "élève" }, messageId });
    await waitFor("the ack", async () => (await h.redis.exists(k.queue, k.msgs, k.acks(broker.brokerId))) === 0);
  });

  it("runs a delayed message a Python producer wrote on q.DQ once its eta has passed, not before", async () => {
    const broker = h.broker();
    const k = keysOf(broker.namespace, "py");
    const ran: { at: number; options: Record<string, unknown>; queueName: string; messageId: string }[] = [];
    actor(
      function later(_n: number) {
        const m = CurrentMessage.getCurrentMessage()!;
        ran.push({ at: Date.now(), options: { ...m.options }, queueName: m.queueName, messageId: m.messageId });
      },
      { broker, queueName: "py" },
    );
    await h.worker(broker);

    const id = randomUUID();
    const eta = Date.now() + 400;
    const { bytes, messageId } = pythonBytes({ queue: "py.DQ", actor: "later", args: "[1]", options: `{"redis_message_id":"${id}","eta":${eta}}` });
    await rawEnqueue(h.redis, broker.namespace, "py.DQ", id, bytes);

    await waitFor("the DQ consumer to park it", async () => (await h.redis.sismember(k.acks(broker.brokerId, "py.DQ"), id)) === 1);
    expect(ran).toEqual([]);
    await waitFor("the delayed Python message to run", () => ran.length === 1, { timeout: 3000 });

    expect(ran[0]!.at).toBeGreaterThanOrEqual(eta);
    expect(ran[0]!.queueName).toBe("py");
    expect(ran[0]!.messageId).toBe(messageId);
    expect(ran[0]!.options.eta).toBeUndefined();
    expect(ran[0]!.options.redis_message_id).not.toBe(id); // moved with a fresh enqueue id
    await broker.join("py", { timeout: 3000 });
    expect(await h.redis.exists(k.queue, k.msgs, k.dq, k.dqMsgs, k.acks(broker.brokerId), k.acks(broker.brokerId, "py.DQ"))).toBe(0);
  });

  it("retries a failing Python message through q.DQ and dead-letters its last delivery into q.XQ", async () => {
    const broker = h.broker();
    const k = keysOf(broker.namespace, "py");
    let attempts = 0;
    actor(
      function flaky(_x: string) {
        attempts++;
        throw new Error(`python-sent failure ${attempts}`);
      },
      { broker, queueName: "py" },
    );
    await h.worker(broker);

    const id = randomUUID();
    const { bytes, messageId } = pythonBytes({
      queue: "py",
      actor: "flaky",
      args: '["r"]',
      options: `{"max_retries":1,"min_backoff":10,"max_backoff":20,"redis_message_id":"${id}"}`,
    });
    await rawEnqueue(h.redis, broker.namespace, "py", id, bytes);
    await waitFor("the dead letter", () => h.redis.exists(k.xq), { timeout: 5000 });

    expect(attempts).toBe(2);
    const [deadId] = await h.redis.zrange(k.xq, "0", "-1");
    const dead = JSON.parse((await h.redis.hgetBuffer(k.xqMsgs, deadId!))!.toString("utf8")) as Record<string, any>;
    expect(Object.keys(dead)).toEqual(FIELDS);
    expect(dead).toMatchObject({ queue_name: "py", actor_name: "flaky", args: ["r"], kwargs: {}, message_id: messageId });
    expect(Object.keys(dead.options)).toEqual(["max_retries", "min_backoff", "max_backoff", "redis_message_id", "retries", "traceback", "requeue_timestamp"]);
    expect(dead.options.redis_message_id).toBe(deadId);
    expect(dead.options.retries).toBe(1);
    expect(dead.options.traceback).toContain("python-sent failure 1");
    await waitFor("the queue to drain", async () => (await h.redis.exists(k.queue, k.msgs, k.dq, k.dqMsgs)) === 0);
  });
});

describe("@q producer → Python worker", () => {
  it("writes exactly the 7 keys, in order, as compact ASCII JSON a Python worker decodes", async () => {
    const broker = h.broker();
    const k = keysOf(broker.namespace, "py");
    const job = actor(function job(_text: string, _float: number, _int: number, _obj: object, _kwargs: Record<string, string>) {}, {
      broker,
      queueName: "py",
      acceptKwargs: true,
    });

    const sent = await job.sendWithOptions({
      args: ["é😀", 1.5, -3, { nested: [true, null, "\u0000\u007f"] }],
      kwargs: { ключ: "значение" },
      maxRetries: 3,
      timeLimit: 5000,
    });
    const delayed = await job.sendWithOptions({ args: ["later", 2, 3, {}], delay: 50_000 });

    for (const [key, message] of [
      [k.msgs, sent],
      [k.dqMsgs, delayed],
    ] as const) {
      const bytes = (await h.redis.hgetBuffer(key, message.options.redis_message_id as string))!;
      expect([...bytes].every((b) => b < 0x80)).toBe(true);
      const text = bytes.toString("ascii");
      const parsed = JSON.parse(text) as Record<string, unknown>;
      expect(Object.keys(parsed)).toEqual(FIELDS);
      expect(text).toBe(pythonDumps(parsed)); // compact separators, \u escapes: json.dumps' bytes
      expect(typeof parsed.queue_name).toBe("string");
      expect(typeof parsed.actor_name).toBe("string");
      expect(Array.isArray(parsed.args)).toBe(true);
      expect(parsed.kwargs).toEqual(expect.any(Object));
      expect(parsed.options).toEqual(expect.objectContaining({ redis_message_id: message.options.redis_message_id }));
      expect(parsed.message_id).toBe(message.messageId);
      expect(Number.isInteger(parsed.message_timestamp)).toBe(true);
    }
    const text = (await h.redis.hgetBuffer(k.msgs, sent.options.redis_message_id as string))!.toString("ascii");
    expect(text).toContain('"args":["\\u00e9\\ud83d\\ude00",1.5,-3,{"nested":[true,null,"\\u0000\\u007f"]}]');
    expect(text).toContain('"kwargs":{"\\u043a\\u043b\\u044e\\u0447":"\\u0437\\u043d\\u0430\\u0447\\u0435\\u043d\\u0438\\u0435"}');
    expect(text).toContain(`"options":{"max_retries":3,"time_limit":5000,"redis_message_id":"${sent.options.redis_message_id as string}"}`);
  });
});

describe("recovery across languages", () => {
  it("an @q worker's maintenance requeues the in-flight messages of a dead Python worker (q and q.DQ) and forgets it", async () => {
    const broker = h.broker({ heartbeatTimeout: 2000, maintenanceInterval: 100, maintenanceChance: 1_000_000 });
    const k = keysOf(broker.namespace, "py");
    const ran: string[] = [];
    actor(
      function recover(tag: string) {
        ran.push(tag);
      },
      { broker, queueName: "py" },
    );

    // A Python worker that died 5 s ago holding one message of py and one of py.DQ,
    // and a live one (fresh heartbeat) whose message must stay where it is.
    const deadId = randomUUID();
    const liveId = randomUUID();
    const now = Date.now();
    const pythonMessage = (queue: string, tag: string, extra = "") => {
      const id = randomUUID();
      return { id, ...pythonBytes({ queue, actor: "recover", args: `["${tag}"]`, options: `{"redis_message_id":"${id}"${extra}}` }) };
    };
    const inFlight = pythonMessage("py", "dead-q");
    const inFlightDelayed = pythonMessage("py.DQ", "dead-dq", `,"eta":${now - 1}`);
    const liveWork = pythonMessage("py", "live");
    await h.redis.hset(k.msgs, inFlight.id, inFlight.bytes, liveWork.id, liveWork.bytes);
    await h.redis.hset(k.dqMsgs, inFlightDelayed.id, inFlightDelayed.bytes);
    await h.redis.sadd(k.acks(deadId), inFlight.id);
    await h.redis.sadd(k.acks(deadId, "py.DQ"), inFlightDelayed.id);
    await h.redis.sadd(k.acks(liveId), liveWork.id);
    await h.redis.zadd(k.heartbeats, now - 5000, deadId, now, liveId);

    await h.worker(broker);
    await waitFor("the dead worker's messages to run", () => ran.length === 2, { timeout: 3000 });
    expect(ran.sort()).toEqual(["dead-dq", "dead-q"]);
    await waitFor("the dead worker to be forgotten", async () => (await h.redis.zscore(k.heartbeats, deadId)) === null, { timeout: 3000 });

    expect(await h.redis.exists(k.acks(deadId), k.acks(deadId, "py.DQ"))).toBe(0);
    await sleep(300);
    expect(ran).not.toContain("live");
    expect(await h.redis.smembers(k.acks(liveId))).toEqual([liveWork.id]);
    expect(await h.redis.hexists(k.msgs, liveWork.id)).toBe(1);
    expect(await h.redis.zscore(k.heartbeats, broker.brokerId)).not.toBeNull();
  });

  it("an @q worker keeps its in-flight ids in ns:__acks__.<brokerId>.q with fresh heartbeats, where a Python worker's maintenance would find them", async () => {
    const broker = h.broker();
    const k = keysOf(broker.namespace, "py");
    const release = deferred();
    let started = 0;
    const hold = actor(
      async function hold() {
        started++;
        await release.promise;
      },
      { broker, queueName: "py" },
    );
    const sent = await Promise.all([hold.send(), hold.send(), hold.send()]);
    const ids = sent.map((m) => m.options.redis_message_id as string).sort();
    await h.worker(broker, { concurrency: 2 });
    await waitFor("two running", () => started === 2);

    const acks = k.acks(broker.brokerId);
    for (let sample = 0; sample < 4; sample++) {
      expect((await h.redis.smembers(acks)).sort()).toEqual(ids);
      expect((await h.redis.hkeys(k.msgs)).sort()).toEqual(ids);
      expect(await h.redis.llen(k.queue)).toBe(0);
      const age = Date.now() - Number(await h.redis.zscore(k.heartbeats, broker.brokerId));
      expect(age).toBeLessThan(broker.maintenanceInterval + 500);
      await sleep(400);
    }

    release.resolve();
    await broker.join("py", { timeout: 5000 });
    expect(await h.redis.exists(acks, k.msgs)).toBe(0);
  });
});
