/**
 * Quorum queues (`queueType: "quorum"`) on a dedicated node: what is declared for every
 * queue kind, what RabbitMQ 3.10 refuses (priorities) and what the broker says about it,
 * mismatched declarations (a classic queue declared quorum and the reverse) as a
 * QueueMismatch at send and at worker start, delays, delay buckets, dead letters and
 * `deliveryLimit` working on quorum queues.
 */
import * as amqp from "amqplib";
import { ConfigurationError, Message, Worker, actor } from "@q/core";
import { LEVEL, captureLogger, waitFor } from "@q/test-support";
import { QueueMismatch, RabbitmqBroker } from "../src";
import { useHarness } from "./harness";
import { useRabbitServer } from "./rabbitServer";

jest.setTimeout(30_000);

const server = useRabbitServer();
const h = useHarness(() => server().url());

interface Listed {
  name: string;
  type: string;
  arguments: Record<string, unknown>;
}

/** `rabbitmqctl list_queues`: each queue's type and arguments as the server holds them. */
async function listed(prefix: string): Promise<Map<string, Listed>> {
  const rows = JSON.parse(await server().ctl(["list_queues", "name", "type", "arguments", "--formatter", "json"])) as {
    name: string;
    type: string;
    arguments: [string, string, unknown][];
  }[];
  return new Map(
    rows
      .filter((r) => r.name.startsWith(prefix))
      .map((r) => [r.name, { name: r.name, type: r.type, arguments: Object.fromEntries(r.arguments.map(([key, , value]) => [key, value])) }]),
  );
}

test("every queue kind is declared quorum: q, q.DQ, q.XQ and the delay buckets, dead-lettering at-least-once", async () => {
  const queue = h.queue("qq_args");
  const broker = h.broker({ queueType: "quorum", maxDelayHold: 1000, deliveryLimit: 3 });
  const ran: number[] = [];
  const job = actor(
    function later(n: number) {
      ran.push(n);
    },
    { broker, queueName: queue },
  );
  await h.worker(broker);
  // 5 s away with maxDelayHold 1 s: the worker parks it in the 4 s bucket, then runs it when due.
  const sentAt = Date.now();
  await job.sendWithOptions({ args: [1], delay: 5000 });
  await waitFor("the delayed message", () => ran.length === 1, { timeout: 15_000 });
  expect(Date.now() - sentAt).toBeGreaterThanOrEqual(5000);
  const queues = await listed(queue);
  const dl = { "x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish" };
  for (const name of [queue, `${queue}.DQ`]) {
    expect(queues.get(name)).toEqual({
      name,
      type: "quorum",
      arguments: { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": `${queue}.XQ`, "x-queue-type": "quorum", ...dl, "x-delivery-limit": 3 },
    });
  }
  expect(queues.get(`${queue}.XQ`)).toEqual({ name: `${queue}.XQ`, type: "quorum", arguments: { "x-message-ttl": 604800000, "x-queue-type": "quorum" } });
  expect(queues.get(`${queue}.DQ.wait.4`)).toEqual({
    name: `${queue}.DQ.wait.4`,
    type: "quorum",
    arguments: { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": `${queue}.DQ`, "x-message-ttl": 4000, "x-queue-type": "quorum", ...dl },
  });
  expect(queues.size).toBe(4);
});

test("the default stays Dramatiq's classic queues, with no quorum argument", async () => {
  const queue = h.queue("classic_args");
  await h.broker({ confirmDelivery: true }).enqueue(new Message({ queueName: queue, actorName: "x" }));
  const queues = await listed(queue);
  for (const name of [queue, `${queue}.DQ`, `${queue}.XQ`]) {
    expect(queues.get(name)?.type).toBe("classic");
    expect(Object.keys(queues.get(name)!.arguments).filter((k) => /queue-type|strategy|overflow|delivery-limit/.test(k))).toEqual([]);
  }
});

test("maxPriority with quorum is refused at construction; RabbitMQ 3.10 itself refuses x-max-priority on a quorum queue", async () => {
  expect(() => new RabbitmqBroker({ url: server().url(), queueType: "quorum", maxPriority: 10 })).toThrow(ConfigurationError);
  expect(() => new RabbitmqBroker({ url: server().url(), queueType: "quorum", maxPriority: 10 })).toThrow(/quorum queues have no priorities/);
  expect(() => new RabbitmqBroker({ url: server().url(), deliveryLimit: 3 })).toThrow(/deliveryLimit needs queueType "quorum"/);
  expect(() => new RabbitmqBroker({ url: server().url(), queueType: "stream" as "quorum" })).toThrow(/queueType must be "classic" or "quorum", got "stream"/);
  // What the refusal saves the user from: the server's own answer.
  const connection = await amqp.connect(server().url());
  try {
    const channel = await connection.createChannel();
    channel.on("error", () => undefined);
    const queue = h.queue("qq_prio");
    await expect(channel.assertQueue(queue, { durable: true, arguments: { "x-queue-type": "quorum", "x-max-priority": 10 } })).rejects.toThrow(
      /PRECONDITION_FAILED - invalid arg 'x-max-priority' .* of queue type rabbit_quorum_queue/,
    );
  } finally {
    await connection.close().catch(() => undefined);
  }
});

describe("a queue that exists with the other type", () => {
  test("a quorum producer on a classic queue (as Python Dramatiq declares it): send rejects with QueueMismatch", async () => {
    const queue = h.queue("mm_send");
    await h.python.declare(queue);
    const broker = h.broker({ queueType: "quorum", confirmDelivery: true });
    const error = await broker.enqueue(new Message({ queueName: queue, actorName: "x" })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueMismatch);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toMatchObject({ code: "Q_QUEUE_MISMATCH", queue });
    expect((error as Error).message).toMatch(
      new RegExp(`^RabbitMQ refused to declare ${queue}: it exists as a classic queue and this broker declares quorum queues \\(queueType: "quorum"\\)\\. .*Python Dramatiq always declares classic queues`),
    );
    expect((error as Error).message).toMatch(/PRECONDITION_FAILED - inequivalent arg 'x-[a-z-]+'/);
    // Without confirms too, and again (nothing is cached as declared).
    const plain = h.broker({ queueType: "quorum" });
    await expect(plain.enqueue(new Message({ queueName: queue, actorName: "x" }))).rejects.toThrow(QueueMismatch);
    await expect(plain.enqueue(new Message({ queueName: queue, actorName: "x" }))).rejects.toThrow(QueueMismatch);
    expect(await h.python.count(queue)).toBe(0);
  });

  test("a classic producer on a quorum queue: QueueMismatch naming both types", async () => {
    const queue = h.queue("mm_reverse");
    await h.broker({ queueType: "quorum", confirmDelivery: true }).enqueue(new Message({ queueName: queue, actorName: "x" }));
    const error = await h.broker().enqueue(new Message({ queueName: queue, actorName: "x" })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueMismatch);
    expect((error as Error).message).toMatch(new RegExp(`^RabbitMQ refused to declare ${queue}: it exists as a quorum queue and this broker declares classic queues \\(queueType: "classic"\\)`));
  });

  test("a quorum worker on a classic queue: whenConnected rejects with QueueMismatch (q exits 2), logged once per attempt", async () => {
    const queue = h.queue("mm_worker");
    await h.python.declare(queue);
    const { logger, find } = captureLogger("info");
    const broker = h.broker({ queueType: "quorum", logger });
    actor(function never_runs() {}, { broker, queueName: queue });
    const worker = await h.worker(broker);
    const error = await worker.whenConnected().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueMismatch);
    expect((error as Error).message).toMatch(/it exists as a classic queue and this broker declares quorum queues/);
    expect(find(LEVEL.fatal, `Consumer of ${queue} cannot start: RabbitMQ refused to declare ${queue}: it exists as a classic queue`).length).toBeGreaterThanOrEqual(1);
  });

  test("the delay queue's consumer fails the same way", async () => {
    const queue = h.queue("mm_dq");
    await h.python.declare(queue);
    const broker = h.broker({ queueType: "quorum" });
    actor(function never_runs_either() {}, { broker, queueName: queue });
    const worker = new Worker(broker, { timeout: 100, queues: [`${queue}.DQ`] });
    await worker.start();
    try {
      await expect(worker.whenConnected()).rejects.toThrow(QueueMismatch);
    } finally {
      await worker.stop({ timeout: 1000 });
    }
  });
});

test("on quorum queues: retries go through q.DQ, a message out of retries is dead-lettered to q.XQ", async () => {
  const queue = h.queue("qq_dead");
  const broker = h.broker({ queueType: "quorum" });
  let runs = 0;
  const job = actor(
    function always_fails() {
      runs++;
      throw new Error("boom");
    },
    { broker, queueName: queue, maxRetries: 2, minBackoff: 50, maxBackoff: 100 },
  );
  await h.worker(broker);
  const message = await job.send();
  await waitFor("the dead letter", async () => (await h.python.count(`${queue}.XQ`)) === 1, { timeout: 10_000 });
  expect(runs).toBe(3);
  const [dead] = await h.python.settled(`${queue}.XQ`);
  expect(Message.decode(dead!.body).messageId).toBe(message.messageId);
  expect((dead!.properties.headers!["x-death"] as { reason: string; queue: string }[])[0]).toMatchObject({ reason: "rejected", queue });
});

test("deliveryLimit: a message whose deliveries keep coming back unacked is dead-lettered by RabbitMQ, its last delivery warned about", async () => {
  const queue = h.queue("qq_limit");
  const { logger, find } = captureLogger("info");
  const broker = h.broker({ queueType: "quorum", deliveryLimit: 2, confirmDelivery: true, logger });
  const connection = await amqp.connect(server().url());
  /** Takes the next delivery and closes its channel unacked, as a worker that dies holding it; returns its x-delivery-count. */
  const crash = async () => {
    const channel = await connection.createChannel();
    const got = (await waitFor("a delivery", () => channel.get(queue, { noAck: false }))) as amqp.GetMessage;
    await channel.close();
    return got.properties.headers?.["x-delivery-count"] as unknown;
  };
  try {
    const doomed = await broker.enqueue(new Message({ queueName: queue, actorName: "crashes" }));
    expect([await crash(), await crash(), await crash()]).toEqual([0, 1, 2]);
    // Came back more than deliveryLimit times: RabbitMQ dead-letters it instead of delivering it again.
    await waitFor("the dead letter", async () => (await h.python.count(`${queue}.XQ`)) === 1);
    const [dead] = await h.python.settled(`${queue}.XQ`);
    expect(Message.decode(dead!.body).messageId).toBe(doomed.messageId);
    expect((dead!.properties.headers!["x-death"] as { reason: string }[])[0]!.reason).toBe("delivery_limit");
    expect(await h.python.count(queue)).toBe(0);

    const last = await broker.enqueue(new Message({ queueName: queue, actorName: "crashes" }));
    expect([await crash(), await crash()]).toEqual([0, 1]);
    const ran: string[] = [];
    actor(
      function crashes() {
        ran.push("ran");
      },
      { broker, queueName: queue },
    );
    await h.worker(broker);
    await waitFor("the third and last delivery", () => ran.length === 1);
    expect(find(LEVEL.warn, `Message ${last.messageId} on ${queue} was delivered 2 times before without being acked`)).toHaveLength(1);
  } finally {
    await connection.close();
  }
});
