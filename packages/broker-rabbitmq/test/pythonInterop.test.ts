/**
 * Sharing queues with Python Dramatiq, both ways, on the shared server: the "Python
 * side" declares and publishes exactly as pika does (spec 7.1–7.4) and reads what
 * @q wrote. Covers spec 17.1 items 25 (priorities) and 26 (delays).
 */
import { type Broker, CurrentMessage, Message, type MessageProxy, Middleware, actor } from "@q/core";
import { useHarness } from "./harness";
import { pythonBytes } from "./pythonSide";
import { waitFor } from "@q/test-support";

const h = useHarness();

describe("Python → @q", () => {
  test("the captured plain message (spec 7.4) runs on an @q worker", async () => {
    const queue = h.queue("interop_wire");
    await h.python.declare(queue);
    const broker = h.broker();
    const calls: unknown[][] = [];
    const ids: string[] = [];
    actor(
      function add(a: number, b: number) {
        calls.push([a, b]);
      },
      { broker, queueName: queue },
    );
    await h.worker(broker);
    const body = `{"queue_name":"${queue}","actor_name":"add","args":[1,2],"kwargs":{},"options":{},"message_id":"293eeef3-b4f1-41ff-8813-473073a8a0f5","message_timestamp":1795246455403}`;
    broker.addMiddleware(new (class extends Middleware {
      override beforeProcessMessage(_b: Broker, m: MessageProxy) {
        ids.push(m.messageId);
      }
    })());
    await h.python.publish(queue, body);
    await broker.join(queue, { timeout: 5000 });
    expect(calls).toEqual([[1, 2]]);
    expect(ids).toEqual(["293eeef3-b4f1-41ff-8813-473073a8a0f5"]);
  });

  test("a delayed message (queue_name q.DQ, eta) runs once its eta has passed", async () => {
    const queue = h.queue("interop_delay");
    await h.python.declare(queue);
    const broker = h.broker();
    const ranAt: number[] = [];
    actor(
      function add(_a: number, _b: number) {
        ranAt.push(Date.now());
      },
      { broker, queueName: queue },
    );
    await h.worker(broker);
    const eta = Date.now() + 400;
    const { bytes } = pythonBytes({ queue: `${queue}.DQ`, actor: "add", args: "[1,2]", options: `{"eta":${eta}}` });
    await h.python.publish(`${queue}.DQ`, bytes);
    await waitFor("the delayed message", () => ranAt.length === 1);
    expect(ranAt[0]!).toBeGreaterThanOrEqual(eta);
  });

  test("a retried delivery (redelivered, with retries, traceback and requeue_timestamp) runs and keeps its id", async () => {
    const queue = h.queue("interop_retry");
    await h.python.declare(queue);
    const broker = h.broker();
    const seen: { id: string; retries: unknown }[] = [];
    actor(
      function fail(arg: string) {
        const current = CurrentMessage.getCurrentMessage()!;
        seen.push({ id: current.messageId, retries: current.options.retries });
        return arg;
      },
      { broker, queueName: queue },
    );
    const eta = Date.now() + 100;
    const body = `{"queue_name":"${queue}.DQ","actor_name":"fail","args":["r"],"kwargs":{},"options":{"max_retries":1,"min_backoff":60000,"max_backoff":60000,"retries":1,"traceback":"Traceback (most recent call last):\\n  File \\"x.py\\", line 1\\nValueError: r","requeue_timestamp":1795246456179,"eta":${eta}},"message_id":"22b6f172-078f-43b3-9110-f209f209d3ca","message_timestamp":1795246456162}`;
    await h.python.publish(`${queue}.DQ`, body);
    await h.worker(broker);
    await waitFor("the retried message", () => seen.length === 1);
    expect(seen).toEqual([{ id: "22b6f172-078f-43b3-9110-f209f209d3ca", retries: 1 }]);
  });

  test("messages published with AMQP priorities run highest first (17.1 #25, maxPriority 10)", async () => {
    const queue = h.queue("interop_prio");
    await h.python.declare(queue, { maxPriority: 10 });
    const broker = h.broker({ maxPriority: 10 });
    const order: number[] = [];
    const job = actor(
      function prio_job(n: number) {
        order.push(n);
      },
      { broker, queueName: queue },
    );
    for (const n of [1, 5, 3, 9, 0, 7]) await job.sendWithOptions({ args: [n], brokerPriority: n });
    const { bytes } = pythonBytes({ queue, actor: "prio_job", args: "[8]", options: `{"broker_priority":8}` });
    await h.python.publish(queue, bytes, 8);
    await h.worker(broker, { concurrency: 1, prefetch: 1 });
    await broker.join(queue, { timeout: 5000 });
    expect(order).toEqual([9, 8, 7, 5, 3, 1, 0]);
  });
});

describe("@q → Python", () => {
  test("an @q message is exactly what Dramatiq publishes: 7 keys in order, delivery_mode 2, no other properties", async () => {
    const queue = h.queue("to_python");
    const broker = h.broker();
    const job = actor(function to_python(_a: number, _b: string) {}, { broker, queueName: queue });
    const sent = await job.send(1, "é");
    const [got] = await h.python.settled(queue);
    expect(got!.body.toString("utf8")).toBe(
      `{"queue_name":"${queue}","actor_name":"to_python","args":[1,"\\u00e9"],"kwargs":{},"options":{},"message_id":"${sent.messageId}","message_timestamp":${sent.messageTimestamp}}`,
    );
    const p = got!.properties;
    expect(p.deliveryMode).toBe(2);
    expect([p.headers, p.priority, p.contentType, p.contentEncoding, p.messageId, p.timestamp, p.expiration]).toEqual(
      Array(7).fill(undefined),
    );
  });

  test("broker_priority becomes the AMQP priority property (spec 7.4: {'delivery_mode': 2, 'priority': 5})", async () => {
    const queue = h.queue("to_python_prio");
    const broker = h.broker({ maxPriority: 10 });
    const job = actor(function prio_out() {}, { broker, queueName: queue });
    await job.sendWithOptions({ brokerPriority: 5 });
    const [got] = await h.python.settled(queue);
    expect(got!.properties.priority).toBe(5);
    expect(got!.properties.deliveryMode).toBe(2);
  });

  test("a delayed @q message (17.1 #26) waits in q.DQ with an eta a Python worker understands, then runs on time", async () => {
    const queue = h.queue("to_python_delay");
    const broker = h.broker();
    const ranAt: number[] = [];
    const job = actor(
      function later() {
        ranAt.push(Date.now());
      },
      { broker, queueName: queue },
    );
    const sent = await job.sendWithOptions({ delay: 300 });
    const [waiting] = await h.python.settled(`${queue}.DQ`);
    const decoded = Message.decode(waiting!.body);
    expect(decoded.queueName).toBe(`${queue}.DQ`);
    expect(decoded.options.eta).toBe(sent.options.eta);
    await h.worker(broker);
    await waitFor("the delayed message", () => ranAt.length === 1);
    expect(ranAt[0]!).toBeGreaterThanOrEqual(sent.options.eta as number);
  });

  test("a message that fails for good is dead-lettered as Python would find it: original bytes, x-death 'rejected'", async () => {
    const queue = h.queue("to_python_dead");
    const broker = h.broker();
    const job = actor(
      function doomed() {
        throw new Error("no");
      },
      { broker, queueName: queue, maxRetries: 0 },
    );
    await h.worker(broker);
    const sent = await job.send();
    await broker.join(queue, { timeout: 5000 });
    const dead = await h.python.settled(`${queue}.XQ`);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.body.equals(sent.encode())).toBe(true);
    expect(dead[0]!.fields.routingKey).toBe(`${queue}.XQ`);
    const headers = dead[0]!.properties.headers!;
    expect(headers["x-first-death-reason"]).toBe("rejected");
    expect(headers["x-first-death-queue"]).toBe(queue);
    expect((headers["x-death"] as { reason: string; queue: string }[])[0]).toMatchObject({ reason: "rejected", queue });
    expect(dead[0]!.properties.deliveryMode).toBe(2);
  });

  test("queues declared by Python (pika types: 'I' or 'l') are re-declared by @q without PRECONDITION_FAILED, and the reverse", async () => {
    for (const long of [false, true]) {
      const pyFirst = h.queue("py_first");
      await h.python.declare(pyFirst, { maxPriority: 10, long });
      const broker = h.broker({ maxPriority: 10 });
      await broker.enqueue(new Message({ queueName: pyFirst, actorName: "x" })); // declares q, q.DQ, q.XQ
      const qFirst = h.queue("q_first");
      await broker.enqueue(new Message({ queueName: qFirst, actorName: "x" }));
      await h.python.declare(qFirst, { maxPriority: 10, long }); // throws on PRECONDITION_FAILED
    }
  });

  test("a mismatch is reported clearly (and so the equivalence test above can fail)", async () => {
    const queue = h.queue("mismatch");
    await h.python.declare(queue, { maxPriority: 5 });
    const broker = h.broker({ maxPriority: 10 });
    await expect(broker.enqueue(new Message({ queueName: queue, actorName: "x" }))).rejects.toThrow(
      /RabbitMQ refused to declare .*: it exists with other arguments .*inequivalent arg 'x-max-priority'/,
    );
    const other = h.queue("mismatch_ttl");
    await h.python.declare(other, { ttl: 1000 });
    await expect(h.broker().enqueue(new Message({ queueName: other, actorName: "x" }))).rejects.toThrow(/x-message-ttl/);
  });
});
