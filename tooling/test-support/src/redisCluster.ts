/**
 * A dedicated Redis Cluster for tests: `primaries` redis-servers (default 3) started with
 * `--cluster-enabled yes`, each with its own port, data directory and cluster bus port
 * (port + 10000), optionally one replica per primary so a killed primary is failed over.
 * Slots are assigned with `redis-cli --cluster create`; `start` resolves once every node
 * reports `cluster_state:ok` and agrees that every slot is served.
 *
 * @example
 * const cluster = await RedisClusterServer.start({ replicas: true });
 * const owner = await cluster.ownerOf("{dramatiq}:default"); // the primary serving that slot
 * await owner.stop(); // a crash: its replica takes over after about nodeTimeout
 * await cluster.destroy();
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import Redis, { Cluster, type ClusterOptions } from "ioredis";
import { RedisServer } from "./redisServer";

const run = promisify(execFile);

/** Options of {@link RedisClusterServer.start}. */
export interface RedisClusterServerOptions {
  /** Primaries; default 3 (the least `redis-cli --cluster create` accepts). */
  primaries?: number;
  /** One replica per primary, so killing a primary is followed by a failover; default false. */
  replicas?: boolean;
  /**
   * `cluster-node-timeout` in ms: how long a node may be unreachable before it counts as
   * failed and its replica is promoted. Default 2000 (Redis's own default is 15000).
   */
  nodeTimeout?: number;
  /** Extra redis-server arguments for every node. */
  args?: readonly string[];
}

/** One node of a {@link RedisClusterServer}. */
export interface RedisClusterNode {
  readonly server: RedisServer;
  readonly port: number;
  /** What the cluster said it was at start (a replica may since have been promoted). */
  readonly startedAs: "primary" | "replica";
}

export class RedisClusterServer {
  private constructor(
    readonly nodes: readonly RedisClusterNode[],
    readonly nodeTimeout: number,
  ) {}

  /** Starts the nodes, creates the cluster and waits until every slot is served. */
  static async start(options: RedisClusterServerOptions = {}): Promise<RedisClusterServer> {
    const primaries = options.primaries ?? 3;
    const nodeTimeout = options.nodeTimeout ?? 2000;
    const count = primaries * (options.replicas ? 2 : 1);
    const args = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", String(nodeTimeout), ...(options.args ?? [])];
    const servers: RedisServer[] = [];
    try {
      while (servers.length < count) servers.push(await startNode(args));
      const addresses = servers.map((s) => `127.0.0.1:${s.port}`);
      await run("redis-cli", ["--cluster", "create", ...addresses, "--cluster-replicas", options.replicas ? "1" : "0", "--cluster-yes"], { timeout: 60_000 });
      const cluster = new RedisClusterServer(
        servers.map((server, i) => ({ server, port: server.port, startedAs: i < primaries ? "primary" : "replica" })),
        nodeTimeout,
      );
      await cluster.waitUntilServed();
      // A replica that never synced is not eligible for a failover.
      if (options.replicas) await cluster.waitForReplicas();
      return cluster;
    } catch (error) {
      await Promise.all(servers.map((s) => s.destroy()));
      throw error;
    }
  }

  /** The startup nodes for an ioredis `Cluster` (or a RedisBroker `cluster` option): every node. */
  get startupNodes(): { host: string; port: number }[] {
    return this.nodes.map((n) => ({ host: "127.0.0.1", port: n.port }));
  }

  /** An ioredis Cluster client on this cluster (close it yourself). */
  client(options: ClusterOptions = {}): Cluster {
    return new Cluster(this.startupNodes, { ...options, redisOptions: { disconnectTimeout: 50, ...options.redisOptions } });
  }

  /** The hash slot of a key (`CLUSTER KEYSLOT`, asked of a running node). */
  async slotOf(key: string): Promise<number> {
    return Number(await this.ask((c) => c.call("CLUSTER", "KEYSLOT", key)));
  }

  /** The node now serving the slot of `key` as primary, as a running node sees it. */
  async ownerOf(key: string): Promise<RedisClusterNode> {
    const slot = await this.slotOf(key);
    const ranges = (await this.ask((c) => c.call("CLUSTER", "SLOTS"))) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
    const range = ranges.find(([from, to]) => from <= slot && slot <= to);
    if (!range) throw new Error(`Slot ${slot} (of ${key}) is not served.`);
    const node = this.nodes.find((n) => n.port === Number(range[2][1]));
    if (!node) throw new Error(`Slot ${slot} is served by an unknown node on port ${range[2][1]}.`);
    return node;
  }

  /** The replica of `primary` (with `replicas`), as a running node sees it. */
  async replicaOf(primary: RedisClusterNode): Promise<RedisClusterNode | undefined> {
    for (const node of this.nodes) {
      if (node === primary || !node.server.running) continue;
      const info = String(await this.on(node, (c) => c.info("replication")));
      if (new RegExp(`master_port:${primary.port}\\b`).test(info)) return node;
    }
    return undefined;
  }

  /**
   * Waits until every running node says `cluster_state:ok` and serves all 16384 slots
   * from a running primary (after a start, or a failover).
   */
  async waitUntilServed(timeout = 60_000): Promise<void> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const last = await this.notServedReason();
      if (!last) return;
      if (Date.now() >= deadline) throw new Error(`The Redis Cluster was not served within ${timeout} ms: ${last}`);
      await sleep(100);
    }
  }

  /**
   * Moves the slot of `key` to the primary `to` while clients keep using it, as
   * `redis-cli --cluster reshard` does: IMPORTING/MIGRATING, MIGRATE of its keys in batches
   * (clients get ASK or TRYAGAIN meanwhile), then SETSLOT NODE on every primary.
   */
  async moveSlot(key: string, to: RedisClusterNode): Promise<void> {
    const slot = String(await this.slotOf(key));
    const from = await this.ownerOf(key);
    if (from === to) return;
    const idOf = (node: RedisClusterNode) => this.on(node, async (c) => String(await c.call("CLUSTER", "MYID")));
    const [fromId, toId] = [await idOf(from), await idOf(to)];
    await this.on(to, (c) => c.call("CLUSTER", "SETSLOT", slot, "IMPORTING", fromId));
    await this.on(from, async (c) => {
      await c.call("CLUSTER", "SETSLOT", slot, "MIGRATING", toId);
      for (;;) {
        const keys = (await c.call("CLUSTER", "GETKEYSINSLOT", slot, "100")) as string[];
        if (keys.length === 0) break;
        await c.call("MIGRATE", "127.0.0.1", String(to.port), "", "0", "10000", "KEYS", ...keys);
      }
    });
    for (const node of [to, from, ...this.nodes.filter((n) => n !== to && n !== from && n.server.running)]) {
      await this.on(node, (c) => c.call("CLUSTER", "SETSLOT", slot, "NODE", toId)).catch(() => undefined); // a replica refuses: it follows its primary
    }
  }

  /** Waits until every running replica's link to its primary is up (it has synced). */
  async waitForReplicas(timeout = 60_000): Promise<void> {
    const deadline = Date.now() + timeout;
    for (const node of this.nodes) {
      for (;;) {
        if (!node.server.running) break;
        const info = String(await this.on(node, (c) => c.info("replication")));
        if (!/role:slave/.test(info) || /master_link_status:up/.test(info)) break;
        if (Date.now() >= deadline) throw new Error(`The replica on port ${node.port} did not sync within ${timeout} ms.`);
        await sleep(100);
      }
    }
  }

  /** Kills every node and removes their data directories. */
  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.server.destroy()));
  }

  private async notServedReason(): Promise<string> {
    const running = new Set(this.nodes.filter((n) => n.server.running).map((n) => n.port));
    for (const node of this.nodes) {
      if (!running.has(node.port)) continue;
      const reply = await this.on(node, async (c) => [String(await c.call("CLUSTER", "INFO")), (await c.call("CLUSTER", "SLOTS")) as [number, number, [string, number]][]] as const).catch(
        (error: Error) => error,
      );
      if (reply instanceof Error) return `port ${node.port}: ${reply.message}`;
      const [info, slots] = reply;
      if (!/cluster_state:ok/.test(info)) return `port ${node.port} says ${/cluster_state:\w+/.exec(info)?.[0]}`;
      let served = 0;
      for (const [from, to, [, port]] of slots) if (running.has(Number(port))) served += to - from + 1;
      if (served !== 16384) return `port ${node.port} sees ${served} of 16384 slots on running primaries`;
    }
    return "";
  }

  private async ask<T>(call: (client: Redis) => Promise<T>): Promise<T> {
    const node = this.nodes.find((n) => n.server.running);
    if (!node) throw new Error("No node of the Redis Cluster is running.");
    return this.on(node, call);
  }

  private async on<T>(node: RedisClusterNode, call: (client: Redis) => Promise<T>): Promise<T> {
    const client = new Redis(node.port, "127.0.0.1", { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, disconnectTimeout: 50 });
    try {
      await client.connect();
      return await call(client);
    } finally {
      client.disconnect();
    }
  }
}

/** A node on a free port whose bus port (port + 10000) is free too: a taken bus port fails the start, so it is tried again. */
async function startNode(args: readonly string[]): Promise<RedisServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await RedisServer.start({ args });
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }
}
