// The middleware in one process on the real servers (Redis, and RabbitMQ on fresh queue
// names): the same exact counts as on the stub, and each broker's queue depth.
import { RabbitmqBroker } from "@q/broker-rabbitmq";
import { RedisBroker } from "@q/broker-redis";
import { type Broker, Worker } from "@q/core";
import { silentLogger, waitFor } from "@q/test-support";
import { AMQP_URL, freshQueue, requireRabbit } from "@q/test-support/rabbitmq";
import { REDIS_URL, deleteNamespace, freshNamespace, requireRedis } from "@q/test-support/redis";
import * as amqp from "amqplib";
import Redis from "ioredis";
import { Prometheus } from "../src";
import { type Scrape, scrape, value } from "./support/scrape";
import { declareWorkload, expectWorkloadCounts } from "./support/workload";

jest.setTimeout(60_000);

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean();
});

async function runWorkload(broker: Broker, queue: string): Promise<{ scrapeNow: () => Promise<Scrape> }> {
  const prometheus = new Prometheus();
  broker.addMiddleware(prometheus);
  const work = declareWorkload(broker, queue);
  const server = await prometheus.serve({ host: "127.0.0.1", port: 0 });
  cleanups.push(() => server.close());
  // Depth before any worker runs: everything waits on the queue.
  await work.send(60_000);
  const before = await waitFor("the depth", async () => {
    const s = await scrape(server.port);
    return value(s, "q_queue_pending_messages", { queue_name: queue }) === 4 ? s : undefined;
  });
  expect([value(before, "q_queue_delayed_messages", { queue_name: queue }), value(before, "q_queue_dead_letter_messages", { queue_name: queue })]).toEqual([1, 0]);
  await broker.flush(queue);
  const worker = new Worker(broker, { concurrency: 4 });
  cleanups.push(() => worker.stop());
  await worker.start();
  await work.send(200);
  return { scrapeNow: () => scrape(server.port) };
}

async function untilSettled(scrapeNow: () => Promise<Scrape>, queue: string): Promise<Scrape> {
  return waitFor(
    "the work to settle on the scrape",
    async () => {
      const s = await scrapeNow();
      const done = value(s, "dramatiq_message_rejects_total", { queue_name: queue, actor_name: `flaky_${queue}` }) === 1;
      return done && value(s, "dramatiq_messages_total", { queue_name: queue, actor_name: `ok_${queue}` }) === 4 ? s : undefined;
    },
    { timeout: 30_000, interval: 50 },
  );
}

test("on Redis: exact counts after real work, and the depth (pending, delayed, dead letters, in flight) from Redis", async () => {
  await requireRedis();
  const redis = new Redis(REDIS_URL);
  const namespace = freshNamespace("qprom");
  const broker = new RedisBroker({ url: REDIS_URL, namespace, logger: silentLogger() });
  cleanups.push(async () => {
    await deleteNamespace(redis, namespace);
    await redis.quit();
  });
  cleanups.push(() => broker.close());
  const queue = "redisq";
  const { scrapeNow } = await runWorkload(broker, queue);
  const s = await untilSettled(scrapeNow, queue);
  expectWorkloadCounts(s, queue);
  await waitFor("the depth after the work", async () => {
    const d = await scrapeNow();
    const depth = ["pending", "delayed", "dead_letter", "inflight"].map((k) => value(d, `q_queue_${k}_messages`, { queue_name: queue }));
    return JSON.stringify(depth) === JSON.stringify([0, 0, 1, 0]) ? true : undefined;
  });
});

test("on RabbitMQ: exact counts after real work, and the depth (pending, delayed, dead letters) from RabbitMQ", async () => {
  await requireRabbit();
  const queue = freshQueue("qprom");
  const broker = new RabbitmqBroker({ url: AMQP_URL, logger: silentLogger() });
  cleanups.push(async () => {
    const admin = await amqp.connect(AMQP_URL);
    const channel = await admin.createChannel();
    for (const q of [queue, `${queue}.DQ`, `${queue}.XQ`]) await channel.deleteQueue(q);
    await admin.close();
  });
  cleanups.push(() => broker.close());
  const { scrapeNow } = await runWorkload(broker, queue);
  const s = await untilSettled(scrapeNow, queue);
  expectWorkloadCounts(s, queue);
  const d = await waitFor("the dead letter on the depth", async () => {
    const d = await scrapeNow();
    return value(d, "q_queue_dead_letter_messages", { queue_name: queue }) === 1 ? d : undefined;
  });
  expect([value(d, "q_queue_pending_messages", { queue_name: queue }), value(d, "q_queue_delayed_messages", { queue_name: queue })]).toEqual([0, 0]);
  // RabbitMQ cannot tell unacked deliveries of other processes: no in-flight gauge.
  expect(value(d, "q_queue_inflight_messages", { queue_name: queue })).toBeUndefined();
});
