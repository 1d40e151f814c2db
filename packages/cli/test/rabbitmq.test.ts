// The q binary on RabbitMQ: the same supervisor, signals and exit codes as on Redis (nothing in
// the CLI is broker-specific). Fails (never skips) without the RabbitMQ test server.
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
  queue = freshQueue("qclitest");
  eventsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "q-cli-rabbit-")), "events");
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

const q = (args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
  runQ(["rabbitmq/broker.js", "rabbitmq/tasks.js", ...args], { env: { AMQP_URL, Q_QUEUE: queue, Q_EVENTS: eventsFile, ...env } });
const events = () => fs.readFileSync(eventsFile, "utf8").split("\n").filter(Boolean);
const send = (actorName: string, args: unknown[]) => producer.enqueue(new Message({ queueName: queue, actorName, args }));

test("q runs RabbitMQ workers in two processes and stops them with exit 0 on TERM", async () => {
  const run = q(["-p", "2", "-t", "4"]);
  await waitReady(run, 2);
  for (let i = 0; i < 6; i++) await send("stamp", [`m${i}`]);
  await waitFor("six stamps", () => events().length === 6);
  expect(events().map((e) => e.split(":")[0]).sort()).toEqual(["m0", "m1", "m2", "m3", "m4", "m5"]);

  run.proc.kill("SIGTERM");
  expect(await run.exitCode()).toBe(0);
  expect(run.matching(/\[q\.worker\.Worker\] \[INFO\] Worker has been shut down\.$/)).toHaveLength(2);
});

test("TERM on RabbitMQ lets the running message finish and returns the prefetched ones to the queue", async () => {
  const run = q(["-p", "1", "-t", "1"]);
  await waitReady(run);
  for (const tag of ["a", "b", "c"]) await send("slow", [tag, 800]);
  await waitFor("the first message to start", () => events().includes("started:a"));

  run.proc.kill("SIGTERM");
  expect(await run.exitCode()).toBe(0);

  expect(events()).toEqual(["started:a", "done:a"]);
  const channel = await admin.createChannel();
  try {
    expect((await channel.checkQueue(queue)).messageCount).toBe(2);
  } finally {
    await channel.close();
  }
});

test("a RabbitMQ that cannot be reached at boot: one line and exit 3", async () => {
  // Port 1 on loopback refuses connections at once.
  const run = q(["-p", "1"], { AMQP_URL: "amqp://guest:guest@127.0.0.1:1", Q_CONNECT_TIMEOUT: "1000", Q_PUBLISH_TIMEOUT: "1500" });
  expect(await run.exitCode(30_000)).toBe(3);
  expect(run.matching(/\[CRITICAL\]/).length).toBeGreaterThanOrEqual(1);
});
