import { runBrokerConformance } from "@q/core/testing";
import { RedisBroker } from "../src";
import { deadLetters, injectRaw } from "./conformanceHooks";
import { REDIS_URL, freshNamespace, requireRedis } from "@q/test-support/redis";

beforeAll(requireRedis);

runBrokerConformance<RedisBroker>({
  name: "RedisBroker",
  makeBroker: (logger, options) => new RedisBroker({ url: REDIS_URL, namespace: freshNamespace(), logger, ...options }),
  injectRaw,
  deadLetters,
  destroyBroker: async (broker) => {
    const keys = await broker.client.keys(`${broker.namespace}:*`);
    if (keys.length) await broker.client.del(...keys);
    await broker.close();
  },
});
