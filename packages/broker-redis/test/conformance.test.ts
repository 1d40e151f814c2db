import { Message } from "@q/core";
import { runBrokerConformance } from "@q/core/testing";
import { RedisBroker } from "../src";
import { REDIS_URL, freshNamespace, requireRedis } from "@q/test-support/redis";

beforeAll(requireRedis);

runBrokerConformance<RedisBroker>({
  name: "RedisBroker",
  makeBroker: (logger, options) => new RedisBroker({ url: REDIS_URL, namespace: freshNamespace(), logger, ...options }),
  // As a producer in another language would write it (HSET the payload, RPUSH the id).
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
    const keys = await broker.client.keys(`${broker.namespace}:*`);
    if (keys.length) await broker.client.del(...keys);
    await broker.close();
  },
});
