/**
 * The core conformance kit against a dedicated 3-primary Redis Cluster: with the `cluster`
 * option and a hash-tagged namespace every dispatch call's keys share one slot, so the
 * broker behaves there exactly as on a single server (enqueue, fetch, acks, delays, dead
 * letters, wake-ups published on one node and heard on another, join, flush...), and the
 * inspector kit: its scripts and its SCAN over every primary find the namespace's one slot.
 */
import { runBrokerConformance, runInspectorConformance } from "@q/core/testing";
import type { Cluster } from "ioredis";
import { RedisBroker } from "../src";
import { deadLetters, injectRaw } from "./conformanceHooks";
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
  injectRaw,
  deadLetters,
  destroyBroker: deleteAndClose,
});

runInspectorConformance<RedisBroker>({
  name: "RedisBroker on a Redis Cluster",
  makeBroker: (logger) => new RedisBroker({ cluster: { nodes: cluster!.startupNodes }, namespace: `{${freshNamespace()}}`, logger }),
  injectRaw,
  destroyBroker: deleteAndClose,
});

/** Deletes the broker's keys, then closes it. KEYS goes to one node: ask every primary (the namespace's keys are all on one of them). */
async function deleteAndClose(broker: RedisBroker): Promise<void> {
  for (const node of (broker.client as Cluster).nodes("master")) {
    const keys = await node.keys(`${broker.namespace}:*`);
    if (keys.length) await node.del(...keys);
  }
  await broker.close();
}
