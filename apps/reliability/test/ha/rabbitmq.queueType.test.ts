/**
 * `q` on a queue that exists with the other queue type (declared by another producer or
 * worker, Python Dramatiq included, with or without `queueType: "quorum"`): RabbitMQ
 * refuses the declaration (PRECONDITION_FAILED), and `q` exits 2 with the broker's
 * QueueMismatch message instead of retrying forever.
 */
import { RabbitmqBroker } from "@q/broker-rabbitmq";
import { Message } from "@q/core";
import { RabbitServer } from "@q/test-support/rabbit-server";
import { killAllQ } from "@q/test-support/q-process";
import { startQ } from "../support/chaosQ";
import { Ledger } from "../support/ledger";

let server: RabbitServer;
let ledger: Ledger;
beforeAll(async () => {
  server = await RabbitServer.start();
  ledger = await Ledger.open();
}, 90_000);
afterAll(async () => {
  await killAllQ();
  await ledger?.close();
  await server?.destroy();
}, 90_000);

test.each([
  ["classic", "quorum"],
  ["quorum", "classic"],
] as const)("a %s queue, a q worker declaring %s: q exits 2 naming the mismatch, without running anything", async (existing, wanted) => {
  const queue = `mismatch-${existing}-${Date.now()}`;
  const producer = new RabbitmqBroker({ url: server.url(), queueType: existing, confirmDelivery: true });
  try {
    await producer.enqueue(new Message({ queueName: queue, actorName: "chaos_work", args: [0] }));
  } finally {
    await producer.close();
  }
  const q = startQ({ broker: "rabbitmq", url: server.url(), queue, processes: 1, threads: 2, env: { ...ledger.env, CHAOS_QUEUE_TYPE: wanted } });
  expect(await q.exitCode(30_000)).toBe(2);
  const output = q.lines.join("\n");
  expect(output).toContain(`RabbitMQ refused to declare ${queue}: it exists as a ${existing} queue and this broker declares ${wanted} queues (queueType: "${wanted}")`);
  expect(output).toMatch(/\[q\.MainProcess\] \[CRITICAL\] Boot failed: QueueMismatch: RabbitMQ refused to declare/);
  expect(await ledger.length()).toBe(0);
});
