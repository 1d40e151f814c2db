/**
 * Every way of pointing the broker at a Redis Cluster wrongly ends in a named error that
 * says what to change, never in a raw MOVED, CROSSSLOT, "non local key" or CLUSTERDOWN
 * reply: a namespace without a hash tag (at construction), a plain `url` broker on a
 * Cluster node, a `cluster` broker on a plain server, and a slot no primary serves.
 */
import { ConfigurationError, ConnectionClosed, ConnectionFailed, QError, isQError } from "@q/core";
import { Cluster } from "ioredis";
import { RedisBroker, RedisClusterMisconfigured } from "../src";
import { silentLogger, waitFor } from "@q/test-support";
import { RedisServer } from "@q/test-support/redis-server";
import { RedisClusterServer } from "@q/test-support/redis-cluster";

jest.setTimeout(30_000);

let cluster: RedisClusterServer;
const brokers: RedisBroker[] = [];
const broker = (options: ConstructorParameters<typeof RedisBroker>[0]) => {
  const b = new RedisBroker({ logger: silentLogger(), ...options });
  brokers.push(b);
  return b;
};

beforeAll(async () => {
  cluster = await RedisClusterServer.start();
}, 60_000);

afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.close()));
});

afterAll(async () => {
  await cluster?.destroy();
});

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("the namespace of a cluster broker", () => {
  it("defaults to {dramatiq}", () => {
    expect(broker({ cluster: { nodes: cluster.startupNodes } }).namespace).toBe("{dramatiq}");
  });

  it.each(["dramatiq", "my{}app", "app}{"])("%s (no usable hash tag) is refused at construction, naming the fix", (namespace) => {
    let error: unknown;
    try {
      new RedisBroker({ cluster: { nodes: cluster.startupNodes }, namespace, logger: silentLogger() });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/has no hash tag.*CROSSSLOT.*Put it in braces, e\.g\. namespace: "\{\w+\}".*Python peers must use the same namespace/);
  });

  it("is checked for an ioredis Cluster given as `client` too", () => {
    const client = cluster.client({ lazyConnect: true });
    try {
      expect(() => new RedisBroker({ client, namespace: "dramatiq", logger: silentLogger() })).toThrow(ConfigurationError);
      expect(broker({ client }).namespace).toBe("{dramatiq}");
    } finally {
      client.disconnect();
    }
  });

  it.each(["{dramatiq}", "app{jobs}", "{a}:{b}"])("%s is taken", (namespace) => {
    expect(broker({ cluster: { nodes: cluster.startupNodes }, namespace }).namespace).toBe(namespace);
  });

  it("url with cluster, client with cluster, and no nodes are refused", () => {
    const client = cluster.client({ lazyConnect: true });
    try {
      expect(() => new RedisBroker({ cluster: { nodes: cluster.startupNodes }, url: "redis://127.0.0.1:6379" })).toThrow(/either `url` or `cluster`/);
      expect(() => new RedisBroker({ cluster: { nodes: cluster.startupNodes }, client })).toThrow(/either `client` or `cluster`/);
      expect(() => new RedisBroker({ cluster: { nodes: [] } })).toThrow(/must list at least one node/);
    } finally {
      client.disconnect();
    }
  });
});

describe("a broker without the cluster option on a Cluster node", () => {
  it("gets RedisClusterMisconfigured (a ConnectionFailed) naming the node and the fix for MOVED, from sends, fetches, depth and dead letters", async () => {
    const owner = await cluster.ownerOf("{dramatiq}");
    const other = cluster.nodes.find((n) => n !== owner)!;
    const b = broker({ url: `redis://127.0.0.1:${other.port}`, namespace: "{dramatiq}" });
    b.declareQueue("default");
    const errors = [
      await rejection(b.dispatch("enqueue", "default", ["id-1", "{}"])),
      await rejection(b.consume("default", { timeout: 100 }).next()),
      await rejection(b.getDeadLetters("default")),
    ];
    await waitConnected(b);
    errors.push(await rejection(b.queueDepth("default")));
    const slot = await cluster.slotOf("{dramatiq}");
    for (const error of errors) {
      expect(error).toBeInstanceOf(RedisClusterMisconfigured);
      expect(error).toBeInstanceOf(ConnectionFailed);
      expect(isQError(error, "Q_REDIS_CLUSTER_MISCONFIGURED")).toBe(true);
      expect(error.message).toContain(`Redis at 127.0.0.1:${other.port} is a Redis Cluster node, and slot ${slot} of namespace "{dramatiq}" is served by 127.0.0.1:${owner.port} (MOVED`);
      expect(error.message).toContain("Use the `cluster` option instead of `url`");
      expect((error.cause as Error).message).toMatch(/^MOVED /);
    }
    // Nothing was written anywhere.
    for (const node of cluster.nodes) {
      const admin = node.server.client();
      expect(await admin.dbsize()).toBe(0);
      admin.disconnect();
    }
  });

  it("gets RedisClusterMisconfigured naming the hash tag for CROSSSLOT (a namespace without one: its keys hash to different slots)", async () => {
    const owner = await cluster.ownerOf("dramatiq");
    const b = broker({ url: `redis://127.0.0.1:${owner.port}`, namespace: "dramatiq" });
    const error = await rejection(b.dispatch("qsize", "default", [], "0"));
    expect(error).toBeInstanceOf(RedisClusterMisconfigured);
    expect(error.message).toMatch(/qsize on default touches keys in different hash slots of a Redis Cluster \(CROSSSLOT Keys in request don't hash to the same slot\): namespace "dramatiq" has no hash tag/);
    expect(error.message).toContain('namespace: "{dramatiq}"');
    expect((error.cause as Error).message).toMatch(/^CROSSSLOT/);
  });

  it("works on the node that owns the namespace's slot (as a Python peer would), until the slot moves", async () => {
    const owner = await cluster.ownerOf("{plainpeer}");
    const b = broker({ url: `redis://127.0.0.1:${owner.port}`, namespace: "{plainpeer}" });
    b.declareQueue("default");
    expect(await b.dispatch("enqueue", "default", ["id-1", "{}"])).toBe(1);
    expect(await b.dispatch("qsize", "default", [], "0")).toBe(1);
    await b.flush("default");
  });
});

describe("a cluster broker", () => {
  it("on a plain Redis server fails to connect with RedisClusterMisconfigured saying it is not a Cluster node", async () => {
    const plain = await RedisServer.start();
    try {
      const b = broker({ cluster: { nodes: [{ host: "127.0.0.1", port: plain.port }] }, connectTimeout: 1000 });
      const error = await rejection(b.dispatch("qsize", "default", [], "0"));
      expect(error).toBeInstanceOf(RedisClusterMisconfigured);
      expect(error.message).toMatch(/^The `cluster` option points at a Redis server that is not a Cluster node \(ERR This instance has cluster support disabled\)\. Use `url` for a single server/);
    } finally {
      await plain.destroy();
    }
  });

  it("whose slot no primary serves: a running broker's call fails at operationTimeout with ConnectionClosed (written: no) saying so, a new broker's first call with ConnectionFailed", async () => {
    // Last in the file: it takes the namespace's slot away from the cluster.
    const running = broker({ cluster: { nodes: cluster.startupNodes }, operationTimeout: 2000 });
    expect(await running.dispatch("qsize", "default", [], "0")).toBe(0);
    const slot = await cluster.slotOf("{dramatiq}");
    for (const node of cluster.nodes) {
      const admin = node.server.client();
      await admin.call("CLUSTER", "DELSLOTS", String(slot)).catch(() => undefined); // each node forgets its owner
      admin.disconnect();
    }
    const error = await rejection(running.dispatch("enqueue", "default", ["id-1", "{}"]));
    expect(error).toBeInstanceOf(ConnectionClosed);
    expect((error as ConnectionClosed).written).toBe("no");
    expect(error.message).toMatch(
      /^The Redis Cluster does not serve the slot of namespace "\{dramatiq\}" \(CLUSTERDOWN .*\) for enqueue on default: .*redis-cli --cluster fix.* This lasted 2000 ms; enqueue on default was not run\.$/,
    );
    expect(error.cause).toBeInstanceOf(RedisClusterMisconfigured);

    // A new broker must meet a cluster that says it is down. Each node switches to
    // cluster_state:fail on its own schedule (a loaded machine has been seen to lag), and a
    // node still saying ok would let the broker become ready, which is another case.
    await waitFor("every node to report cluster_state:fail", async () => {
      for (const node of cluster.nodes) {
        const admin = node.server.client();
        const info = String(await admin.call("CLUSTER", "INFO").catch(() => ""));
        admin.disconnect();
        if (!info.includes("cluster_state:fail")) return false;
      }
      return true;
    });
    const fresh = broker({ cluster: { nodes: cluster.startupNodes }, connectTimeout: 1500 });
    const first = await rejection(fresh.dispatch("qsize", "default", [], "0"));
    expect(first).toBeInstanceOf(ConnectionFailed);
    expect(first).toBeInstanceOf(QError);
    expect(first.message).toMatch(/^The Redis Cluster did not become ready within 1500 ms: .*cluster_state:ok.*redis-cli --cluster check/);
  });
});

async function waitConnected(b: RedisBroker): Promise<void> {
  for (let i = 0; i < 100 && !b.connected; i++) await new Promise((r) => setTimeout(r, 20));
}

// Keeps the import used for its type check of `client` (an ioredis Cluster is accepted).
void Cluster;
