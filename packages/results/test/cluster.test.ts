/**
 * The result-backend conformance kit against a dedicated 3-primary Redis Cluster (`cluster`
 * option): every call (MULTI DEL/LPUSH/PEXPIRE, LINDEX, BLMOVE) touches one key, so
 * results spread over every slot and need no hash tag; and a plain-URL backend on a Cluster
 * node gets ConfigurationError naming the fix, not a raw MOVED.
 */
import { ConfigurationError, Message, ResultMissing } from "@q/core";
import { runResultBackendConformance } from "@q/core/testing";
import { RedisClusterServer } from "@q/test-support/redis-cluster";
import { RedisResultBackend } from "../src/redis";

let cluster: RedisClusterServer | undefined;

beforeAll(async () => {
  cluster = await RedisClusterServer.start();
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

runResultBackendConformance({
  name: "RedisResultBackend on a Redis Cluster",
  makeBackend: (options) => new RedisResultBackend({ ...options, cluster: { nodes: cluster!.startupNodes } }),
  destroyBackend: (backend) => backend.close(),
});

test("a plain-URL backend on a Cluster node gets ConfigurationError naming the `cluster` option for a result on another node", async () => {
  const backend = new RedisResultBackend({ url: `redis://127.0.0.1:${cluster!.nodes[0]!.port}` });
  try {
    const errors: unknown[] = [];
    // Results of 12 messages: their keys hash to slots all over the cluster.
    for (let i = 0; i < 12; i++) {
      const message = new Message({ queueName: "default", actorName: "add", args: [i] });
      errors.push(await backend.getResult(message).catch((e: unknown) => e));
    }
    const misconfigured = errors.filter((e) => e instanceof ConfigurationError) as Error[];
    expect(misconfigured.length).toBeGreaterThan(0);
    for (const e of misconfigured) expect(e.message).toMatch(/^Redis result backend: get failed: MOVED \d+ .* \(the server is a Redis Cluster node: use the `cluster` option/);
    for (const e of errors) expect(e instanceof ConfigurationError || e instanceof ResultMissing).toBe(true);
  } finally {
    await backend.close();
  }
});
