/**
 * The RabbitMQ queue inspector (broker.inspect()): the core inspector kit on classic queues
 * (shared server) and on quorum queues (a dedicated node, as conformanceQuorum.test.ts), and
 * what is RabbitMQ's own: reading dead letters gives them back in place, Python's dead letters
 * are listed, a requeued dead letter runs once on a real worker.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ConnectionError, InspectionUnsupported, Message, actor, inspectorOf } from "@q/core";
import { runInspectorConformance } from "@q/core/testing";
import { silentLogger, waitFor } from "@q/test-support";
import { AMQP_URL } from "@q/test-support/rabbitmq";
import { RabbitmqBroker, RabbitmqInspector } from "../src";
import { deathTime } from "../src/deathTime";
import { quorumReadGuard } from "../src/quorumReadGuard";
import { closeAndDelete, useNodeSides } from "./conformanceHooks";
import { useHarness } from "./harness";
import { type PythonSide, pythonBytes } from "./pythonSide";
import { useRabbitServer } from "./rabbitServer";

const h = useHarness();

runInspectorConformance<RabbitmqBroker>({
  name: "RabbitmqBroker",
  makeBroker: (logger) => new RabbitmqBroker({ url: AMQP_URL, logger }),
  // As Python Dramatiq writes it: declare the three queues, publish persistent bytes.
  injectRaw: async (_broker, queueName, data) => {
    await h.python.declare(queueName);
    await h.python.publish(queueName, data);
  },
  destroyBroker: closeAndDelete(() => h.python),
});

/** Sends `n` messages to `queue` and dead-letters each as a worker that gives up does (consume, fail, nack). */
async function deadLetter(broker: RabbitmqBroker, queue: string, n: number, actorName = "inspect_me", python: () => PythonSide = () => h.python): Promise<Message[]> {
  const sent: Message[] = [];
  for (let i = 0; i < n; i++) sent.push(await broker.enqueue(new Message({ queueName: queue, actorName, args: [i] })));
  const consumer = broker.consume(queue, { prefetch: 1, timeout: 50 });
  for (let i = 0; i < n; ) {
    const m = await consumer.next();
    if (!m) continue;
    m.fail();
    await consumer.nack(m);
    i++;
  }
  await consumer.close();
  await waitFor(`${n} dead letters`, async () => ((await python().count(`${queue}.XQ`)) === n ? true : undefined));
  return sent;
}

describe("RabbitmqInspector on classic queues", () => {
  test("listing dead letters three times (whole and in pages) leaves them all in place, in order, with the time they died", async () => {
    const queue = h.queue("insp_keep");
    const broker = h.broker();
    broker.declareQueue(queue);
    const before = Date.now();
    const sent = await deadLetter(broker, queue, 5);
    const ids = sent.map((m) => m.messageId);
    const inspector = inspectorOf(broker);
    for (let round = 0; round < 3; round++) {
      const all = await inspector.listMessages(queue, "dead");
      expect(all.messages.map((m) => m.messageId)).toEqual(ids);
      expect(all.total).toBe(5);
      for (const m of all.messages) {
        expect(m.deadAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
        expect(m.deadAt).toBeLessThanOrEqual(Date.now());
      }
      const paged: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await inspector.listMessages(queue, "dead", { limit: 2, cursor });
        paged.push(...page.messages.map((m) => m.messageId));
        cursor = page.next;
      } while (cursor);
      expect(paged).toEqual(ids);
    }
    // Concurrent readers in this process take turns.
    const pages = await Promise.all([1, 2, 3].map(() => inspector.listMessages(queue, "dead", { limit: 3 })));
    for (const page of pages) expect(page.messages.map((m) => m.messageId)).toEqual(ids.slice(0, 3));
    const [summary] = (await inspector.listQueues()).filter((q) => q.name === queue);
    expect(summary).toMatchObject({ name: queue, pending: 0, delayed: 0, deadLetters: 5, consumers: 0, declared: true });
    expect(summary!.inFlight).toBeUndefined();
    // Last: peek gives the messages back by closing its channel, which RabbitMQ applies a moment later.
    const onServer = await h.python.peek(`${queue}.XQ`);
    expect(onServer.map((d) => Message.decode(d.body).messageId)).toEqual(ids);
  });

  test("Python Dramatiq's dead letters are listed, requeued and deleted", async () => {
    const queue = h.queue("insp_py");
    await h.python.declare(queue);
    const a = pythonBytes({ queue, actor: "py_actor", args: "[1]", options: '{"retries":3,"traceback":"Traceback: boom"}' });
    const b = pythonBytes({ queue, actor: "py_actor", args: "[2]" });
    await h.python.publish(`${queue}.XQ`, a.bytes);
    await h.python.publish(`${queue}.XQ`, b.bytes);
    const broker = h.broker();
    const inspector = broker.inspect();
    const page = await inspector.listMessages(queue, "dead");
    expect(page.messages.map((m) => m.messageId)).toEqual([a.messageId, b.messageId]);
    expect(page.messages[0]).toMatchObject({ part: "dead", queueName: queue, retries: 3, lastError: "Traceback: boom", deadAt: undefined });
    expect(page.messages[0]!.data.equals(a.bytes)).toBe(true);
    expect(page.messages[0]!.message?.actorName).toBe("py_actor");
    // Not declared by this process, found through include.
    const [summary] = (await inspector.listQueues({ include: [queue] })).filter((q) => q.name === queue);
    expect(summary).toMatchObject({ deadLetters: 2, pending: 0, declared: false });
    const again = await inspector.requeue(queue, a.messageId);
    expect(again.options.retries).toBe(0);
    expect(again.options.traceback).toBeUndefined();
    const [back] = await h.python.settled(queue);
    expect(Message.decode(back!.body)).toMatchObject({ messageId: a.messageId, actorName: "py_actor", args: [1] });
    await inspector.deleteMessage(queue, "dead", b.messageId);
    expect(await h.python.count(`${queue}.XQ`)).toBe(0);
    expect(await h.python.count(queue)).toBe(1);
  });

  test("a requeued dead letter is run exactly once by a real Worker", async () => {
    const queue = h.queue("insp_once");
    const broker = h.broker({ confirmDelivery: false });
    const runs: number[] = [];
    const job = actor(
      function inspect_once(n: number) {
        runs.push(n);
      },
      { broker, queueName: queue },
    );
    const [dead] = await deadLetter(broker, queue, 1, "inspect_once");
    const kept = await job.send(99); // a normal message runs too, once
    const requeued = await broker.inspect().requeue(queue, dead!.messageId);
    expect(requeued.messageId).toBe(dead!.messageId);
    await h.worker(broker);
    await waitFor("both messages ran", () => (runs.length >= 2 ? true : undefined));
    await broker.join(queue, { timeout: 5000 });
    await sleep(300);
    expect(runs.sort((x, y) => x - y)).toEqual([0, 99]);
    expect(await h.python.count(`${queue}.XQ`)).toBe(0);
    void kept;
  });

  test("the queue and delay queue are not listable, and bad input is an ArgumentError", async () => {
    const broker = h.broker();
    const inspector = broker.inspect();
    const queue = h.queue("insp_bad");
    expect(inspector.capabilities).toMatchObject({ listable: ["dead"], deletable: ["dead"], workers: false });
    await expect(inspector.listMessages(queue, "queue")).rejects.toBeInstanceOf(InspectionUnsupported);
    await expect(inspector.listMessages(queue, "delayed")).rejects.toBeInstanceOf(InspectionUnsupported);
    await expect(inspector.listMessages("not a queue!", "dead")).rejects.toThrow(/queue name/);
    // A queue missing on the server lists empty and is not created.
    expect(await inspector.listMessages(queue, "dead")).toEqual({ messages: [], next: undefined, total: 0 });
    expect(await inspector.purge(queue, "delayed")).toBe(0);
    expect(await h.python.exists(`${queue}.XQ`)).toBe(false);
    expect(await inspector.listWorkers()).toBeUndefined();
  });
});

describe("RabbitmqInspector: readers, priorities, errors", () => {
  test("readers of one queue through two brokers of this process take turns: each sees every dead letter, in order", async () => {
    const queue = h.queue("insp_two");
    const one = h.broker();
    const two = h.broker();
    one.declareQueue(queue);
    const ids = (await deadLetter(one, queue, 6)).map((m) => m.messageId);
    const pages = await Promise.all(
      [one, two, one, two].map((b, i) => (i % 2 ? b.inspect().listMessages(queue, "dead") : b.inspect().listMessages(queue, "dead", { limit: 4 }))),
    );
    expect(pages.map((p) => p.messages.map((m) => m.messageId))).toEqual([ids.slice(0, 4), ids, ids.slice(0, 4), ids]);
    expect(await h.python.count(`${queue}.XQ`)).toBe(6);
  });

  test("a requeued dead letter keeps its broker_priority as its AMQP priority", async () => {
    const queue = h.queue("insp_prio");
    await h.python.declare(queue, { maxPriority: 10 });
    const broker = h.broker({ maxPriority: 10 });
    broker.declareQueue(queue);
    const sent = await broker.enqueue(new Message({ queueName: queue, actorName: "inspect_me", args: [], options: { broker_priority: 7 } }));
    const consumer = broker.consume(queue, { timeout: 50 });
    let m = await consumer.next();
    while (!m) m = await consumer.next();
    m.fail();
    await consumer.nack(m);
    await consumer.close();
    await waitFor("the dead letter", async () => ((await h.python.count(`${queue}.XQ`)) === 1 ? true : undefined));
    await broker.inspect().requeue(queue, sent.messageId);
    const [back] = await h.python.settled(queue);
    expect(back!.properties.priority).toBe(7);
    expect(Message.decode(back!.body).options.broker_priority).toBe(7);
  });

  test("a connection lost in the middle of a read fails it with a ConnectionError and loses nothing", async () => {
    const queue = h.queue("insp_lost");
    await h.python.declare(queue);
    const ids: string[] = [];
    const publisher = await (await h.python.connection()).createConfirmChannel();
    for (let i = 0; i < 300; i++) {
      const { bytes, messageId } = pythonBytes({ queue, actor: "py_actor", args: `[${i}]` });
      ids.push(messageId);
      publisher.sendToQueue(`${queue}.XQ`, bytes, { persistent: true });
    }
    await publisher.waitForConfirms();
    await publisher.close();
    const broker = h.broker();
    const inspector = broker.inspect();
    expect((await inspector.listMessages(queue, "dead", { limit: 1 })).total).toBe(300);
    const reading = inspector.listMessages(queue, "dead", { limit: 300 });
    await waitFor("the read under way", async () => ((await h.python.count(`${queue}.XQ`)) < 300 ? true : undefined), { interval: 1 });
    await broker.connections.live!.close();
    await expect(reading).rejects.toBeInstanceOf(ConnectionError);
    // RabbitMQ put the unacked ones back in place; the inspector reads again on a new connection.
    await waitFor("all back", async () => ((await h.python.count(`${queue}.XQ`)) === 300 ? true : undefined));
    const page = await inspector.listMessages(queue, "dead", { limit: 300 });
    expect(page.messages.map((m) => m.messageId)).toEqual(ids);
  }, 30_000);

  test("a read that would hold more than maxRead dead letters is refused, and changes nothing", async () => {
    const queue = h.queue("insp_max");
    const broker = h.broker();
    broker.declareQueue(queue);
    const ids = (await deadLetter(broker, queue, 5)).map((m) => m.messageId);
    const inspector = new RabbitmqInspector(broker, { maxRead: 3 });
    expect((await inspector.listMessages(queue, "dead", { limit: 3 })).messages.map((m) => m.messageId)).toEqual(ids.slice(0, 3));
    expect((await inspector.listMessages(queue, "dead", { limit: 1, cursor: "2" })).next).toBe("3");
    await expect(inspector.listMessages(queue, "dead", { limit: 4 })).rejects.toThrow(InspectionUnsupported);
    expect((await inspector.getMessage(queue, ids[1]!))?.messageId).toBe(ids[1]);
    await expect(inspector.getMessage(queue, ids[4]!)).rejects.toThrow(/not among the first 3/);
    await expect(inspector.deleteMessage(queue, "dead", ids[4]!)).rejects.toThrow(InspectionUnsupported);
    await inspector.close();
    expect((await broker.inspect().listMessages(queue, "dead")).messages.map((m) => m.messageId)).toEqual(ids);
  });

  test("with RabbitMQ unreachable every call fails with a ConnectionError", async () => {
    const broker = h.broker({ url: "amqp://guest:guest@127.0.0.1:1", connectTimeout: 300, publishTimeout: 300 });
    const inspector = broker.inspect();
    await expect(inspector.listQueues({ include: ["insp_nowhere"] })).rejects.toBeInstanceOf(ConnectionError);
    await expect(inspector.listMessages("insp_nowhere", "dead")).rejects.toBeInstanceOf(ConnectionError);
    await expect(inspector.requeueAll("insp_nowhere")).rejects.toBeInstanceOf(ConnectionError);
    await expect(inspector.purge("insp_nowhere", "queue")).rejects.toBeInstanceOf(ConnectionError);
  });
});

test("reads of quorum dead letters are guarded on the RabbitMQ versions that count them toward the delivery limit", () => {
  expect(quorumReadGuard("3.10.8")).toBeUndefined();
  expect(quorumReadGuard("3.13.7")).toBeUndefined();
  expect(quorumReadGuard("4.0.1")).toBe(15);
  expect(quorumReadGuard("4.2.5")).toBe(15);
  expect(quorumReadGuard("4.3.0")).toBeUndefined();
  expect(quorumReadGuard(undefined)).toBe(15);
  expect(deathTime({ "x-death": [{ time: 1_700_000_000, reason: "rejected" }] })).toBe(1_700_000_000_000);
  expect(deathTime({ "x-death": [{ time: { "!": "timestamp", value: 5 } }] })).toBe(5000);
  expect(deathTime({})).toBeUndefined();
  expect(deathTime(undefined)).toBeUndefined();
});

describe("RabbitmqInspector on quorum queues", () => {
  const server = useRabbitServer();
  const sides = useNodeSides(() => server().url());
  const python = () => sides.python();

  runInspectorConformance<RabbitmqBroker>({
    name: "RabbitmqBroker (quorum queues)",
    // With confirms: a quorum queue applies an unconfirmed publish later (Raft), so a count or purge right after it could miss it.
    makeBroker: (logger) => new RabbitmqBroker({ url: server().url(), logger, queueType: "quorum", confirmDelivery: true }),
    injectRaw: sides.injectRaw,
    destroyBroker: closeAndDelete(python),
  });

  test("listing a quorum .XQ 25 times in pages keeps every dead letter, in order (x-delivery-count grows; the .XQ has no delivery limit)", async () => {
    const broker = new RabbitmqBroker({ url: server().url(), queueType: "quorum", logger: silentLogger() });
    const queue = `insp_qq_${Date.now().toString(36)}`;
    broker.declareQueue(queue);
    try {
      const sent = await deadLetter(broker, queue, 4, "inspect_me", python);
      const ids = sent.map((m) => m.messageId);
      const inspector = broker.inspect();
      for (let round = 0; round < 25; round++) {
        const page = await inspector.listMessages(queue, "dead", { limit: 1, cursor: String(round % 4) });
        expect(page.messages.map((m) => m.messageId)).toEqual([ids[round % 4]]);
      }
      expect((await inspector.listMessages(queue, "dead")).messages.map((m) => m.messageId)).toEqual(ids);
      const onServer = await python().peek(`${queue}.XQ`);
      expect(onServer.map((d) => Message.decode(d.body).messageId)).toEqual(ids);
      expect(Number(onServer[0]!.properties.headers!["x-delivery-count"])).toBeGreaterThanOrEqual(26);
    } finally {
      await broker.close();
      await python().deleteAll(queue);
    }
  });
});
