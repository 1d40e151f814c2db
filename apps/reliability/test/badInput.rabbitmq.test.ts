/**
 * Bad input on RabbitMQ (issue 15): a live `q` worker gets random bytes, truncated JSON, wrong
 * field types, unknown actors, wrong argument counts, bad option values, prototype keys,
 * 100k levels of nesting, invalid UTF-8 and a 50 MB message, published raw with amqplib to
 * the queue as another producer would, between good messages sent through the broker. Every bad one is dead-lettered with the reason (and message id)
 * logged or run as documented; the worker process stays the same process; no prototype
 * changes; each good message runs exactly once; its memory is measured.
 */
import { setTimeout as sleep } from "node:timers/promises";
import Redis from "ioredis";
import * as amqp from "amqplib";
import { Message } from "@q/core";
import { RabbitmqBroker } from "@q/broker-rabbitmq";
import { silentLogger } from "@q/test-support";
import { waitReady } from "@q/test-support/q-process";
import { REDIS_URL, requireRedis } from "@q/test-support/redis";
import { AMQP_URL, freshQueue, requireRabbit } from "@q/test-support/rabbitmq";
import { Ledger } from "./support/ledger";
import { recordFigure } from "./support/figures";
import { type Probe, catalogue, expectWorkerUnharmed, prototypeSnapshot, runPropertyCases, startBadInputQ, wireText } from "./support/badInput";

jest.setTimeout(60_000);

let redis: Redis;
let connection: amqp.ChannelModel;
let channel: amqp.ConfirmChannel;
const queues: string[] = [];

beforeAll(async () => {
  await requireRedis(); // the ledger
  await requireRabbit();
  redis = new Redis(REDIS_URL);
  connection = await amqp.connect(AMQP_URL);
  channel = await connection.createConfirmChannel();
});

afterAll(async () => {
  for (const q of queues) for (const name of [q, `${q}.DQ`, `${q}.XQ`]) await channel.deleteQueue(name).catch(() => undefined);
  await connection.close();
  redis.disconnect();
});

/** Publishes bytes as a foreign producer does (default exchange, persistent), confirmed. */
async function injectRaw(queue: string, bytes: Buffer): Promise<void> {
  channel.sendToQueue(queue, bytes, { persistent: true });
  await channel.waitForConfirms();
}

const deadCount = async (queue: string) => (await channel.checkQueue(`${queue}.XQ`)).messageCount;

async function waitUntil(what: string, check: () => Promise<boolean>, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test("a live q worker dead-letters or runs each kind of bad payload as documented, stays up, runs every good message once, with bounded memory", async () => {
  const queue = freshQueue("badinput");
  queues.push(queue);
  const ledger = await Ledger.open();
  const producer = new RabbitmqBroker({ url: AMQP_URL });
  producer.declareQueue(queue);
  const q = startBadInputQ({ broker: "rabbitmq", url: AMQP_URL, queue, env: ledger.env });
  try {
    await waitReady(q, 1);
    let good = 0;
    const sendGood = () => producer.enqueue(new Message({ queueName: queue, actorName: "chaos_work", args: [good++] }));
    const probe = (tag: string) => producer.enqueue(new Message({ queueName: queue, actorName: "badinput_probe", args: [tag] }));
    const probes = async (): Promise<Probe[]> => (await redis.lrange(`${ledger.key}:probe`, 0, -1)).map((p) => JSON.parse(p) as Probe);

    // Warm up (the first messages load code and fill caches), then measure.
    for (let i = 0; i < 20; i++) await sendGood();
    await ledger.waitForAll(good, 20_000);
    await probe("before");
    await waitUntil("the first probe", async () => (await probes()).length === 1, 10_000);

    const bad = catalogue(queue, () => good++);
    let dead = 0;
    for (const payload of bad) {
      await sendGood();
      await injectRaw(queue, payload.bytes);
      if (payload.runs === undefined) dead++;
    }
    // Prototype keys in an actor's argument: run, and the probe reports the prototypes after it.
    await injectRaw(queue, Buffer.from(wireText(queue, { actor_name: '"badinput_probe"', args: `[{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}]` }).text));
    await sendGood();
    await ledger.waitForAll(good, 30_000);
    await probe("after");
    await waitUntil("both probes", async () => (await probes()).length === 3, 20_000);
    await waitUntil(`${dead} dead letters`, async () => (await deadCount(queue)) >= dead, 10_000);
    await sleep(500); // anything run twice or dead-lettered late would show up by now

    const summary = await ledger.summary(good);
    expect(summary).toEqual({ processed: good, missing: [], duplicates: 0, duplicated: [] });
    expect(await ledger.length()).toBe(good);
    expect(await deadCount(queue)).toBe(dead);
    // What RabbitMQ dead-lettered is exactly the bad payloads, as published.
    const letters: Buffer[] = [];
    for (let m = await channel.get(`${queue}.XQ`); m; m = await channel.get(`${queue}.XQ`)) letters.push(m.content);
    await channel.recover();
    const expectedDead = bad.filter((p) => p.runs === undefined).map((p) => p.bytes);
    expect(letters.length).toBe(expectedDead.length);
    for (const bytes of expectedDead) expect(letters.some((l) => l.equals(bytes))).toBe(true);
    expect((await channel.checkQueue(queue)).messageCount).toBe(0);

    expectWorkerUnharmed("rabbitmq", q, bad, await probes(), { good, dead });
  } finally {
    q.proc.kill("SIGTERM");
    await q.exited;
    await producer.close();
    await ledger.close();
  }
});

test("property: an in-process worker dead-letters every generated bad payload and runs the good message after it exactly once", async () => {
  const queue = freshQueue("badinput_prop");
  queues.push(queue);
  const broker = new RabbitmqBroker({ url: AMQP_URL, logger: silentLogger() });
  const before = prototypeSnapshot();
  const run = await runPropertyCases(broker, queue, (bytes) => injectRaw(queue, bytes));
  try {
    await broker.join(queue, { timeout: 10_000 });
    expect([...run.good.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: run.sent }, (_, i) => i));
    expect([...run.good.values()].every((c) => c === 1)).toBe(true);
    expect(run.ranBad).toBe(run.mustRunBad);
    await waitUntil(`${run.deadExpected} dead letters`, async () => (await deadCount(queue)) >= run.deadExpected, 5000);
    expect(await deadCount(queue)).toBe(run.deadExpected);
    expect(prototypeSnapshot()).toEqual(before);
    recordFigure("rabbitmq.badInput.property", { cases: run.sent, deadLettered: run.deadExpected, ranAsDocumented: run.mustRunBad });
  } finally {
    await run.worker.stop({ timeout: 2000 });
    await broker.close();
  }
});
