import { ConfigurationError } from "@q/core";
import { validateRedisUrl } from "@q/core/broker";
import Redis, { Cluster, type ClusterNode, type ClusterOptions, type RedisOptions } from "ioredis";

/**
 * The `cluster` option of a RedisBroker: a Redis Cluster reached through ioredis's `Cluster`
 * client, which follows slot moves and failovers.
 *
 * @example
 * new RedisBroker({ cluster: { nodes: [{ host: "10.0.0.5", port: 7000 }, "10.0.0.6:7000"] }, namespace: "{dramatiq}" });
 */
export interface RedisClusterOptions {
  /**
   * Startup nodes: some or all of the cluster's nodes (`{ host, port }` or `"host:port"`);
   * the client learns the others from them. Give more than one, so a start does not depend
   * on a single node being up.
   */
  nodes: readonly ClusterNode[];
  /**
   * ioredis `ClusterOptions` (`natMap`, `slotsRefreshInterval`, `dnsLookup`, ...). Options
   * for each node's connection (password, TLS) go in the broker's `redisOptions`, or here in
   * `redisOptions`, which wins.
   */
  options?: ClusterOptions;
}

/** The connection of a broker: one Redis server, or a Redis Cluster. */
export type RedisConnection = Redis | Cluster;

/** The namespace a cluster broker gets without one: Dramatiq's, in a hash tag. */
export const DEFAULT_CLUSTER_NAMESPACE = "{dramatiq}";

/**
 * Internal: whether every key `ns:...` hashes to one slot, the slot of the namespace's hash
 * tag (Redis hashes only what is between the first `{` and the next `}`, if not empty).
 */
export function hasHashTag(namespace: string): boolean {
  const open = namespace.indexOf("{");
  if (open < 0) return false;
  const close = namespace.indexOf("}", open + 1);
  return close > open + 1;
}

/**
 * Internal: the broker's namespace. On a Cluster every key of a dispatch call must share a
 * slot, so the namespace needs a hash tag; Python peers must use the very same string.
 */
export function resolveNamespace(namespace: string | undefined, cluster: boolean): string {
  if (!cluster) return namespace ?? "dramatiq";
  if (namespace === undefined) return DEFAULT_CLUSTER_NAMESPACE;
  if (hasHashTag(namespace)) return namespace;
  throw new ConfigurationError(
    `The namespace ${JSON.stringify(namespace)} has no hash tag, so on a Redis Cluster the keys of one queue would spread over slots and every call would fail (CROSSSLOT). ` +
      `Put it in braces, e.g. namespace: ${JSON.stringify(`{${namespace.replace(/[{}]/g, "") || "dramatiq"}}`)} (the whole namespace then lives on one slot; Python peers must use the same namespace string).`,
  );
}

/** Internal: whether a client is an ioredis Cluster (also one from another ioredis copy). */
export function isCluster(client: unknown): client is Cluster {
  return client instanceof Cluster || (typeof client === "object" && client !== null && (client as { isCluster?: unknown }).isCluster === true);
}

/** What a broker's connection options say about where Redis is. */
export interface ConnectionTarget {
  url?: string;
  client?: RedisConnection;
  cluster?: RedisClusterOptions;
}

/** Internal: checks the combination of `url`, `client` and `cluster` (ConfigurationError). */
export function checkTarget(target: ConnectionTarget): void {
  if (!target.cluster) return;
  if (target.url !== undefined) throw new ConfigurationError("Give either `url` or `cluster`, not both: a Redis Cluster is reached through its nodes (cluster.nodes).");
  if (target.client) throw new ConfigurationError("Give either `client` or `cluster`, not both (pass an ioredis Cluster as `client` to use your own).");
  if (!Array.isArray(target.cluster.nodes) || target.cluster.nodes.length === 0) {
    throw new ConfigurationError('`cluster.nodes` must list at least one node of the Redis Cluster, e.g. [{ host: "127.0.0.1", port: 7000 }].');
  }
}

/** ioredis options a Cluster does not take per node (it sets them itself). */
const NOT_PER_NODE = ["host", "port", "path", "sentinels", "retryStrategy", "enableOfflineQueue", "readOnly", "name", "role"] as const;

/**
 * Internal: the broker's own connection: a Cluster client with `redisOptions` on every node
 * connection, or a Redis on `url`, or a duplicate of the given client, with these options.
 */
export function connect(target: ConnectionTarget, redisOptions: RedisOptions): RedisConnection {
  if (target.client) return duplicateConnection(target.client, redisOptions);
  if (!target.cluster) return new Redis(validateRedisUrl(target.url ?? "redis://127.0.0.1:6379"), redisOptions);
  const perNode: Record<string, unknown> = { ...redisOptions };
  for (const key of NOT_PER_NODE) delete perNode[key];
  const given = target.cluster.options ?? {};
  return new Cluster([...target.cluster.nodes], {
    enableOfflineQueue: redisOptions.enableOfflineQueue,
    clusterRetryStrategy: (times) => Math.min(50 * times, 1000),
    // A CLUSTERDOWN reply comes back to the broker, which sends the call again until its
    // deadline and then says why; ioredis would retry it silently until the call timed out.
    retryDelayOnClusterDown: 0,
    ...given,
    redisOptions: { ...perNode, ...given.redisOptions, connectionName: redisOptions.connectionName },
  });
}

/**
 * Internal: another connection like `connection` (same server or cluster, same options)
 * with these options changed; for a Cluster, options of its node connections go to them.
 */
export function duplicateConnection(connection: RedisConnection, options: RedisOptions): RedisConnection {
  if (!isCluster(connection)) return connection.duplicate(options);
  const perNode: Record<string, unknown> = { ...options };
  for (const key of NOT_PER_NODE) delete perNode[key];
  const clusterLevel = options.enableOfflineQueue === undefined ? {} : { enableOfflineQueue: options.enableOfflineQueue };
  return connection.duplicate([], { ...clusterLevel, redisOptions: { ...connection.options.redisOptions, ...perNode } });
}
