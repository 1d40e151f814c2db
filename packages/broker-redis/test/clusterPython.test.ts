/**
 * Real Python Dramatiq sharing queues with @q on a Redis Cluster, both ways, with the same
 * hash-tagged namespace: Python through redis-py's RedisCluster (follows the slot), or a
 * plain redis-py client on the node that owns the namespace's slot; and what a plain Python
 * client on another node gets (a raw MOVED error: Dramatiq does not explain it).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { Message, Worker, actor } from "@q/core";
import { RedisBroker } from "../src";
import { silentLogger, waitFor } from "@q/test-support";
import { freshNamespace } from "@q/test-support/redis";
import { RedisClusterServer } from "@q/test-support/redis-cluster";

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, "../../..");
const PYTHON = process.env.INTEROP_PYTHON ?? path.join(ROOT, ".venv-interop", "bin", "python");
const PEER = path.join(__dirname, "fixtures", "clusterPeer.py");
const run = promisify(execFile);

let cluster: RedisClusterServer;

beforeAll(async () => {
  if (!existsSync(PYTHON)) throw new Error(`No interop Python at ${PYTHON}: run bash tooling/scripts/python-env.sh`);
  cluster = await RedisClusterServer.start();
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

async function python(spec: object): Promise<{ sent: boolean; ran?: number[]; error?: string; message?: string }> {
  const { stdout } = await run(PYTHON, [PEER, JSON.stringify(spec)], { timeout: 45_000 });
  return JSON.parse(stdout.trim().split("\n").pop()!);
}

describe.each(["cluster", "plain"] as const)("Python Dramatiq with a %s redis-py client", (client) => {
  it("and @q on the same hash-tagged namespace run each other's messages", async () => {
    const namespace = `{${freshNamespace()}}`;
    const owner = await cluster.ownerOf(namespace);
    // RedisCluster may start from any node; a plain client must be on the slot's owner.
    const node = client === "cluster" ? cluster.nodes.find((n) => n !== owner)! : owner;
    const broker = new RedisBroker({ cluster: { nodes: cluster.startupNodes }, namespace, logger: silentLogger() });
    const ran: number[] = [];
    actor((n: number) => void ran.push(n), { broker, actorName: "node_work", queueName: "node_side" });
    const worker = new Worker(broker, { queues: ["node_side"], timeout: 100 });
    await worker.start();
    try {
      for (const n of [10, 11, 12]) await broker.enqueue(new Message({ queueName: "py_side", actorName: "py_echo", args: [n] }));
      const peer = await python({ client, host: "127.0.0.1", port: node.port, namespace, expect: 3 });
      expect(peer).toEqual({ sent: true, ran: [10, 11, 12] });
      await waitFor("the Python messages to run on @q", () => ran.length === 3);
      expect(ran.sort()).toEqual([0, 1, 2]);
      await broker.join("node_side", { timeout: 5000 });
      await broker.join("py_side", { timeout: 5000 });
    } finally {
      await worker.stop({ timeout: 1000 });
      await broker.close();
    }
  });
});

it("a plain redis-py client on a node that does not own the slot gets a raw MovedError from redis-py (Dramatiq does not explain it)", async () => {
  const namespace = `{${freshNamespace()}}`;
  const owner = await cluster.ownerOf(namespace);
  const other = cluster.nodes.find((n) => n !== owner)!;
  const peer = await python({ client: "plain", host: "127.0.0.1", port: other.port, namespace, expect: 0 });
  expect(peer).toMatchObject({ sent: false, error: "MovedError" });
  expect(peer.message).toMatch(/\d+ 127\.0\.0\.1:\d+/);
});
