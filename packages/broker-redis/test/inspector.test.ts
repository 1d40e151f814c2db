import { runInspectorConformance } from "@q/core/testing";
import { RedisBroker } from "../src";
import { injectRaw } from "./conformanceHooks";
import { REDIS_URL, freshNamespace, requireRedis } from "@q/test-support/redis";

beforeAll(requireRedis);

runInspectorConformance<RedisBroker>({
  name: "RedisBroker",
  makeBroker: (logger) => new RedisBroker({ url: REDIS_URL, namespace: freshNamespace(), logger }),
  injectRaw,
  destroyBroker: async (broker) => {
    const keys = await broker.client.keys(`${broker.namespace}:*`);
    if (keys.length) await broker.client.del(...keys);
    await broker.close();
  },
});
