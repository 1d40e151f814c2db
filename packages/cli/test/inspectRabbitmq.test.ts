// q queues and q dlq on RabbitMQ: ready counts and consumers (no in-flight column), dead letters
// listed and requeued to a q worker that runs each exactly once, and exit 1 for what it cannot show.
import { Message } from "@q/core";
import { waitFor } from "@q/test-support";
import { AMQP_URL } from "@q/test-support/rabbitmq";
import { runQ, waitReady } from "./support/runQ";
import { useRabbitQ } from "./support/useRabbitQ";

jest.setTimeout(60_000);

const r = useRabbitQ("qcliinspect");

const env = () => ({ AMQP_URL, Q_QUEUE: r.queue, Q_EVENTS: r.eventsFile });
async function q(args: string[]) {
  const run = runQ(args, { env: env() });
  const code = await run.exitCode();
  return { code, stdout: run.stdout.filter(Boolean), stderr: run.lines.filter(Boolean) };
}

/** Sends `n` stamp messages and dead-letters them as a worker that gave up would. */
async function deadLetters(n: number): Promise<Message[]> {
  r.producer.declareQueue(r.queue);
  const sent: Message[] = [];
  for (let i = 0; i < n; i++) sent.push(await r.producer.enqueue(new Message({ queueName: r.queue, actorName: "stamp", args: [`dead${i}`] })));
  const consumer = r.producer.consume(r.queue, { prefetch: 1, timeout: 100 });
  for (let i = 0; i < n; i++) {
    let m = await consumer.next();
    while (!m) m = await consumer.next();
    await consumer.nack(m);
  }
  await consumer.close();
  await waitFor("the dead letters to reach .XQ", async () => (await r.producer.queueDepth(r.queue)).deadLetters === n);
  return sent;
}

test("q queues on RabbitMQ shows ready, delayed and dead counts and consumers, without an in-flight column", async () => {
  await deadLetters(2);
  await r.producer.enqueue(new Message({ queueName: r.queue, actorName: "stamp", args: ["waiting"] }));
  const run = await q(["queues", "rabbitmq/broker.js", "--include", r.queue]);
  expect(run.code).toBe(0);
  expect(run.stdout[0]).toMatch(/^QUEUE +PENDING +DELAYED +DEAD +CONSUMERS$/);
  expect(run.stdout[1]!.split(/\s+/)).toEqual([r.queue, "*", "1", "0", "2", "0"]);
});

test("q dlq list and requeue --all on RabbitMQ: a q worker then runs each dead letter exactly once", async () => {
  const sent = await deadLetters(3);
  const list = await q(["dlq", "list", "rabbitmq/broker.js", r.queue, "--json"]);
  expect(list.code).toBe(0);
  const [page] = JSON.parse(list.stdout.join("\n"));
  expect(page.messages.map((m: { messageId: string }) => m.messageId)).toEqual(sent.map((m) => m.messageId));
  // Listing gave them back: still three, in the same order.
  expect((await r.producer.queueDepth(r.queue)).deadLetters).toBe(3);

  const requeue = await q(["dlq", "requeue", "rabbitmq/broker.js", r.queue, "--all"]);
  expect([requeue.code, requeue.stdout]).toEqual([0, [`Requeued 3 dead letter(s) of ${r.queue}.`]]);
  const worker = runQ(["rabbitmq/broker.js", "rabbitmq/tasks.js", "-p", "1"], { env: env() });
  await waitReady(worker);
  const events = () => r.events();
  await waitFor("three runs", () => events().length >= 3);
  await new Promise((r) => setTimeout(r, 500)); // room for a duplicate to show, if there were one
  expect(events().map((e) => e.split(":")[0]).sort()).toEqual(["dead0", "dead1", "dead2"]);
});

test("q message show on RabbitMQ finds dead letters only, and says so when the id is elsewhere (exit 1)", async () => {
  const [dead] = await deadLetters(1);
  const shown = await q(["message", "show", "rabbitmq/broker.js", dead!.messageId, "--queue", r.queue]);
  expect(shown.code).toBe(0);
  expect(shown.stdout[1]).toBe(`queue:       ${r.queue} (dead letter)`);
  const waiting = await r.producer.enqueue(new Message({ queueName: r.queue, actorName: "stamp", args: ["live"] }));
  const missing = await q(["message", "show", "rabbitmq/broker.js", waiting.messageId, "--queue", r.queue]);
  expect(missing.code).toBe(1);
  expect(missing.stderr.at(-1)).toBe(`q: Message ${waiting.messageId} is not in queue ${r.queue} (this broker shows only: dead).`);
});
