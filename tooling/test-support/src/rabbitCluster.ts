/**
 * A dedicated 3-node RabbitMQ cluster for high-availability tests: three {@link RabbitServer}
 * nodes (distinct node names, AMQP ports in 5690–5699, distribution ports + 20000, data
 * directories of their own) started in parallel, then joined to the first one with
 * `rabbitmqctl join_cluster`. Nodes authenticate to each other with the Erlang cookie of
 * the `rabbitmq` user, which every node here runs as (Debian's rabbitmq-server), so they
 * share it without any set-up.
 */
import { execFile } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { RabbitServer, type RabbitServerOptions, freePort } from "./rabbitServer";

export interface RabbitClusterOptions {
  /** Nodes in the cluster; default 3 (quorum queues then survive the loss of one). */
  size?: number;
  /** More `rabbitmq.conf` lines for every node. */
  conf?: readonly string[];
}

/** One member of a quorum queue as `rabbitmq-queues quorum_status` reports it. */
export interface QuorumMember {
  node: string;
  raftState: string;
}

export class RabbitCluster {
  private constructor(
    /** The nodes, in the order their URLs are listed (the first is the one the others joined). */
    readonly nodes: readonly RabbitServer[],
    /** Milliseconds from the start of {@link RabbitCluster.start} until every node was in the cluster. */
    readonly startupMs: number,
    /** Of which: booting the nodes (in parallel). The rest is joining them, one after the other. */
    readonly bootMs: number = 0,
  ) {}

  /**
   * Starts the nodes in parallel and joins them into one cluster; resolves once
   * `cluster_status` on the first node lists every node as running.
   *
   * @example
   * const cluster = await RabbitCluster.start();
   * const broker = new RabbitmqBroker({ url: cluster.urls(), queueType: "quorum" });
   * await cluster.node(0).kill();
   */
  static async start(options: RabbitClusterOptions = {}): Promise<RabbitCluster> {
    const began = Date.now();
    const size = options.size ?? 3;
    const ports: number[] = [];
    for (let i = 0; i < size; i++) ports.push(await freePort(ports));
    const tag = Math.random().toString(36).slice(2, 6);
    const serverOptions = (port: number): RabbitServerOptions => ({ port, node: `qha${port}x${tag}@localhost`, conf: options.conf });
    const started = await Promise.allSettled(ports.map((port) => RabbitServer.start(serverOptions(port))));
    const nodes = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    const bootMs = Date.now() - began;
    const cluster = new RabbitCluster(nodes, 0);
    try {
      const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
      if (failed) throw failed.reason;
      const [seed, ...others] = nodes;
      // One at a time: concurrent joins to the same seed race in its schema sync.
      for (const node of others) {
        await node.ctl(["stop_app"]);
        await node.ctl(["reset"]);
        await node.ctl(["join_cluster", seed!.node], 60_000);
        await node.ctl(["start_app"], 60_000);
      }
      await cluster.waitForMembers(nodes.length, 60_000);
    } catch (error) {
      await cluster.destroy().catch(() => undefined); // no half-made cluster left behind
      throw error;
    }
    return new RabbitCluster(nodes, Date.now() - began, bootMs);
  }

  /** Node `i` (0-based, in URL order). */
  node(i: number): RabbitServer {
    const node = this.nodes[i];
    if (!node) throw new Error(`The cluster has ${this.nodes.length} nodes; there is no node ${i}.`);
    return node;
  }

  /** Every node's `amqp://guest:guest@127.0.0.1:<port>` (the broker's failover list), in node order. */
  urls(vhost?: string): string[] {
    return this.nodes.map((node) => node.url(vhost));
  }

  /** The node whose AMQP port is `port` (e.g. a connection's server port). */
  byPort(port: number): RabbitServer | undefined {
    return this.nodes.find((node) => node.port === port);
  }

  /** The node by its Erlang node name (`qha5691x…@localhost`). */
  byName(name: string): RabbitServer | undefined {
    return this.nodes.find((node) => node.node === name);
  }

  /** A node that answers `rabbitmqctl` now (the first that does). */
  async anyRunning(): Promise<RabbitServer> {
    for (const node of this.nodes) {
      try {
        await node.ctl(["ping"], 10_000);
        return node;
      } catch {
        // down: try the next one
      }
    }
    throw new Error("No node of the RabbitMQ cluster is running.");
  }

  /** The members of quorum queue `queue` (vhost `/`) with their Raft state, asked of a running node. */
  async quorumMembers(queue: string): Promise<QuorumMember[]> {
    const node = await this.anyRunning();
    const out = await run(node, ["rabbitmq-queues", "quorum_status", queue, "--formatter", "json"]);
    const rows = JSON.parse(out) as Record<string, unknown>[];
    return rows.map((row) => ({ node: String(row["Node Name"]), raftState: String(row["Raft State"]) }));
  }

  /**
   * The node that holds quorum queue `queue`'s leader, once one is elected (waits up to
   * `timeout` ms: right after a leader is lost the followers are still voting).
   */
  async leaderOf(queue: string, timeout = 30_000): Promise<RabbitServer> {
    const deadline = Date.now() + timeout;
    let last: unknown;
    for (;;) {
      try {
        const leader = (await this.quorumMembers(queue)).find((m) => m.raftState === "leader");
        const node = leader && this.byName(leader.node);
        if (node) return node;
        last = new Error(`no leader among the members of ${queue}`);
      } catch (error) {
        last = error;
      }
      if (Date.now() >= deadline) throw new Error(`Quorum queue ${queue} had no leader within ${timeout} ms.`, { cause: last });
      await sleep(200);
    }
  }

  /**
   * The server node (by AMQP port) of every client connection whose name starts with
   * `prefix` (the broker's `connectionName`, e.g. `q-1234`), as `[name, node]` pairs.
   */
  async connectionNodes(prefix = ""): Promise<[string, RabbitServer][]> {
    const node = await this.anyRunning();
    const out = await node.ctl(["list_connections", "name", "port", "client_properties", "--formatter", "json"]);
    const rows = JSON.parse(out) as { port: number; client_properties: unknown[] }[];
    const pairs: [string, RabbitServer][] = [];
    for (const row of rows) {
      const name = connectionName(row.client_properties);
      const server = this.byPort(row.port);
      if (name !== undefined && name.startsWith(prefix) && server) pairs.push([name, server]);
    }
    return pairs;
  }

  /** Waits until `cluster_status` on a running node lists `count` running nodes. */
  async waitForMembers(count: number, timeout = 60_000): Promise<void> {
    const deadline = Date.now() + timeout;
    for (;;) {
      try {
        const node = await this.anyRunning();
        const status = JSON.parse(await node.ctl(["cluster_status", "--formatter", "json"])) as { running_nodes?: string[] };
        if ((status.running_nodes ?? []).length >= count) return;
      } catch {
        // a node is still booting
      }
      if (Date.now() >= deadline) throw new Error(`The RabbitMQ cluster did not have ${count} running nodes within ${timeout} ms.`);
      await sleep(200);
    }
  }

  /** Stops every node (in parallel) and removes their data. */
  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.destroy()));
  }
}

/** `connection_name` out of `list_connections client_properties` (JSON: `[name, type, value]` triples). */
function connectionName(properties: unknown[]): string | undefined {
  for (const entry of properties) {
    if (Array.isArray(entry) && entry[0] === "connection_name") return String(entry[2]);
  }
  return undefined;
}

/** Runs another RabbitMQ CLI tool (rabbitmq-queues, ...) against `node`. */
async function run(node: RabbitServer, [tool, ...args]: readonly string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(tool!, ["-n", node.node, ...args], { timeout: 30_000 });
  return stdout;
}
