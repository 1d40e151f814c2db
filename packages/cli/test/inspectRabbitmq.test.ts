// q queues and q dlq on RabbitMQ: ready counts and consumers (no in-flight column), dead letters
// listed and requeued to a q worker that runs each exactly once, and exit 1 for what it cannot show.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { RabbitmqBroker } from "@q/broker-rabbitmq";
import { Message } from "@q/core";
import { silentLogger, waitFor } from "@q/test-support";
import { AMQP_URL, freshQueue, requireRabbit } from "@q/test-support/rabbitmq";
import * as amqp from "amqplib";
import { killAllQ, runQ, waitReady } from "./support/runQ";

jest.setTimeout(60_000);

let queue = "";
let eventsFile = "";
let producer: RabbitmqBroker;
let admin: amqp.ChannelModel;

beforeAll(async () => {
  await requireRabbit();
  admin = await amqp.connect(AMQP_URL);
});
beforeEach(() => {
  queue = freshQueue("qcliinspect");
  eventsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "q-cli-inspect-")), "events");
  fs.writeFileSync(eventsFile, "");
  producer = new RabbitmqBroker({ url: AMQP_URL, logger: silentLogger() });
});
afterEach(async () => {
  await killAllQ();
  await producer.flush(queue).catch(() => undefined);
  await producer.close();
  const channel = await admin.createChannel();
  for (const q of [queue, `${queue}.DQ`, `${queue}.XQ`]) await channel.deleteQueue(q);
  await channel.close();
});
afterAll(async () => {
  await admin?.close();
});

const env = () => ({ AMQP_URL, Q_QUEUE: queue, Q_EVENTS: eventsFile });
async function q(args: string[]) {
  const run = runQ(args, { env: env() });
  const code = await run.exitCode();
  return { code, stdout: run.stdout.filter(Boolean), stderr: run.lines.filter(Boolean) };
}

/** Sends `n` stamp messages and dead-letters them as a worker that gave up would. */
async function deadLetters(n: number): Promise<Message[]> {
  producer.declareQueue(queue);
  const sent: Message[] = [];
  for (let i = 0; i < n; i++) sent.push(await producer.enqueue(new Message({ queueName: queue, actorName: "stamp", args: [`dead${i}`] })));
  const consumer = producer.consume(queue, { prefetch: 1, timeout: 100 });
  for (let i = 0; i < n; i++) {
    let m = await consumer.next();
    while (!m) m = await consumer.next();
    await consumer.nack(m);
  }
  await consumer.close();
  await waitFor("the dead letters to reach .XQ", async () => (await producer.queueDepth(queue)).deadLetters === n);
  return sent;
}

test("q queues on RabbitMQ shows ready, delayed and dead counts and consumers, without an in-flight column", async () => {
  await deadLetters(2);
  await producer.enqueue(new Message({ queueName: queue, actorName: "stamp", args: ["waiting"] }));
  const run = await q(["queues", "rabbitmq/broker.js", "--include", queue]);
  expect(run.code).toBe(0);
  expect(run.stdout[0]).toMatch(/^QUEUE +PENDING +DELAYED +DEAD +CONSUMERS$/);
  expect(run.stdout[1]!.split(/\s+/)).toEqual([queue, "*", "1", "0", "2", "0"]);
});

test("q dlq list and requeue --all on RabbitMQ: a q worker then runs each dead letter exactly once", async () => {
  const sent = await deadLetters(3);
  const list = await q(["dlq", "list", "rabbitmq/broker.js", queue, "--json"]);
  expect(list.code).toBe(0);
  const [page] = JSON.parse(list.stdout.join("\n"));
  expect(page.messages.map((m: { messageId: string }) => m.messageId)).toEqual(sent.map((m) => m.messageId));
  // Listing gave them back: still three, in the same order.
  expect((await producer.queueDepth(queue)).deadLetters).toBe(3);

  const requeue = await q(["dlq", "requeue", "rabbitmq/broker.js", queue, "--all"]);
  expect([requeue.code, requeue.stdout]).toEqual([0, [`Requeued 3 dead letter(s) of ${queue}.`]]);
  const worker = runQ(["rabbitmq/broker.js", "rabbitmq/tasks.js", "-p", "1"], { env: env() });
  await waitReady(worker);
  const events = () => fs.readFileSync(eventsFile, "utf8").split("\n").filter(Boolean);
  await waitFor("three runs", () => events().length >= 3);
  await new Promise((r) => setTimeout(r, 500)); // room for a duplicate to show, if there were one
  expect(events().map((e) => e.split(":")[0]).sort()).toEqual(["dead0", "dead1", "dead2"]);
});

test("q message show on RabbitMQ finds dead letters only, and says so when the id is elsewhere (exit 1)", async () => {
  const [dead] = await deadLetters(1);
  const shown = await q(["message", "show", "rabbitmq/broker.js", dead!.messageId, "--queue", queue]);
  expect(shown.code).toBe(0);
  expect(shown.stdout[1]).toBe(`queue:       ${queue} (dead letter)`);
  const waiting = await producer.enqueue(new Message({ queueName: queue, actorName: "stamp", args: ["live"] }));
  const missing = await q(["message", "show", "rabbitmq/broker.js", waiting.messageId, "--queue", queue]);
  expect(missing.code).toBe(1);
  expect(missing.stderr.at(-1)).toBe(`q: Message ${waiting.messageId} is not in queue ${queue} (this broker shows only: dead).`);
});
