/**
 * The core conformance kit against a dedicated 3-primary Redis Cluster: with the `cluster`
 * option and a hash-tagged namespace every dispatch call's keys share one slot, so the
 * broker behaves there exactly as on a single server (enqueue, fetch, acks, delays, dead
 * letters, wake-ups published on one node and heard on another, join, flush...).
 */
import { Message } from "@q/core";
import { runBrokerConformance } from "@q/core/testing";
import type { Cluster } from "ioredis";
import { RedisBroker } from "../src";
import { freshNamespace } from "@q/test-support/redis";
import { RedisClusterServer } from "@q/test-support/redis-cluster";

let cluster: RedisClusterServer | undefined;

beforeAll(async () => {
  cluster = await RedisClusterServer.start();
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

runBrokerConformance<RedisBroker>({
  name: "RedisBroker on a Redis Cluster",
  makeBroker: (logger, options) => new RedisBroker({ cluster: { nodes: cluster!.startupNodes }, namespace: `{${freshNamespace()}}`, logger, ...options }),
  injectRaw: async (broker, queueName, data) => {
    const id = `raw-${Math.random().toString(16).slice(2)}`;
    await broker.client.hset(`${broker.namespace}:${queueName}.msgs`, id, data);
    await broker.client.rpush(`${broker.namespace}:${queueName}`, id);
  },
  deadLetters: async (broker, queueName) =>
    (await broker.getDeadLetters(queueName)).map(({ id, data }) => {
      let messageId: string | undefined;
      try {
        messageId = Message.decode(data).messageId;
      } catch {
        messageId = undefined;
      }
      return { messageId, data, reason: `dead-lettered as ${id}` };
    }),
  destroyBroker: async (broker) => {
    // KEYS goes to one node: ask every primary (the namespace's keys are all on one of them).
    for (const node of (broker.client as Cluster).nodes("master")) {
      const keys = await node.keys(`${broker.namespace}:*`);
      if (keys.length) await node.del(...keys);
    }
    await broker.close();
  },
});
