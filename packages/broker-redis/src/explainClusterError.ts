import { RedisClusterMisconfigured } from "./RedisClusterMisconfigured";

/** Where a failing call went: for the message. */
export interface ClusterErrorContext {
  namespace: string;
  /** Whether the broker has the `cluster` option (or was given an ioredis Cluster). */
  cluster: boolean;
  /** `host:port` of a single-server broker, to name in the message. */
  server?: string;
  /** What was being done, e.g. `fetch on default`. */
  what: string;
}

/**
 * Internal: a Redis Cluster reply (MOVED, ASK, CROSSSLOT, "non local key", CLUSTERDOWN,
 * "cluster support disabled") that means the broker is pointed at Redis wrongly, as a
 * {@link RedisClusterMisconfigured} saying what to change; undefined for any other error.
 * A cluster broker's CLUSTERDOWN or TRYAGAIN is a failover in progress, not a mistake
 * ({@link isClusterTransient}), unless it lasts past the call's deadline.
 *
 * @example
 * explainClusterError(new Error("MOVED 12515 10.0.0.7:7002"), { namespace: "{dramatiq}", cluster: false, server: "10.0.0.5:7000", what: "fetch on default" })
 * // RedisClusterMisconfigured: Redis at 10.0.0.5:7000 is a Redis Cluster node ... use the `cluster` option ...
 */
export function explainClusterError(error: unknown, context: ClusterErrorContext): RedisClusterMisconfigured | undefined {
  if (!(error instanceof Error)) return undefined;
  // ioredis's "Failed to refresh slots cache" keeps the node's own reply aside.
  const nodeError = (error as { lastNodeError?: unknown }).lastNodeError;
  const reply = nodeError instanceof Error ? lastError(nodeError.message) : lastError(error.message);
  const at = context.server ? `Redis at ${context.server}` : "Redis";
  const fixPlain = `Use the \`cluster\` option instead of \`url\`: new RedisBroker({ cluster: { nodes: [{ host, port }, ...] }, namespace: "${suggested(context.namespace)}" }).`;
  const fixTag = `Give the broker a namespace with a hash tag, e.g. namespace: "${suggested(context.namespace)}", so every key of the namespace lives on one slot (Python peers must use the same namespace).`;
  let message: string | undefined;
  if (/^(MOVED|ASK) /.test(reply)) {
    const [kind, slot, node] = reply.split(" ");
    message = context.cluster
      ? `The Redis Cluster kept redirecting ${context.what} (${kind} slot ${slot} to ${node}): its slots are moving faster than the client follows them; check the cluster with redis-cli --cluster check.`
      : `${at} is a Redis Cluster node, and slot ${slot} of namespace "${context.namespace}" is ${kind === "ASK" ? "being migrated to" : "served by"} ${node} (${kind} reply to ${context.what}). ${fixPlain}`;
  } else if (/^CROSSSLOT/.test(reply) || /non.local key|do not hash to the same slot/i.test(reply)) {
    message = `${context.what} touches keys in different hash slots of a Redis Cluster (${reply.split("\n")[0]}): namespace "${context.namespace}" has no hash tag${context.cluster ? "" : " and the broker is not in cluster mode"}. ${fixTag}${context.cluster ? "" : ` ${fixPlain}`}`;
  } else if (/^CLUSTERDOWN/.test(reply)) {
    message = context.cluster
      ? `The Redis Cluster does not serve the slot of namespace "${context.namespace}" (${reply}) for ${context.what}: a primary is down without a replica to take over, or the slot was never assigned. Check it with redis-cli --cluster check <node>, and assign the slot (redis-cli --cluster fix) or bring the primary back.`
      : `${at} is a Redis Cluster node and the cluster is down (${reply}) for ${context.what}. ${fixPlain}`;
  } else if (/cluster support disabled/i.test(reply)) {
    message = `The \`cluster\` option points at a Redis server that is not a Cluster node (${reply}). Use \`url\` for a single server (or Sentinel for failover), or start the nodes with cluster-enabled yes.`;
  }
  return message === undefined ? undefined : new RedisClusterMisconfigured(message, { cause: error });
}

/**
 * Internal: on a cluster broker, an error of a failover or a slot move in progress: the
 * call is sent again (until its deadline) once the client has refreshed its slot map.
 */
export function isClusterTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return /^(CLUSTERDOWN|TRYAGAIN|MOVED|ASK) /.test(lastError(error.message)) || /^Too many Cluster redirections|^Cluster is disconnected|^Failed to refresh slots cache|^None of startup nodes/.test(error.message);
}

/** Internal: a Cluster reply that refused a call (CLUSTERDOWN, TRYAGAIN, MOVED, ASK): it did not run. */
export function isClusterRefusal(error: unknown): boolean {
  return error instanceof Error && /^(CLUSTERDOWN|TRYAGAIN|MOVED|ASK) /.test(error.message);
}

/** The reply inside ioredis's "Too many Cluster redirections. Last error: ReplyError: ...". */
function lastError(message: string): string {
  const inner = /Last error: (?:\w*Error: )?(.*)$/s.exec(message);
  return inner ? inner[1]! : message;
}

/** The namespace with a hash tag: itself if it has one, else in braces. */
function suggested(namespace: string): string {
  const open = namespace.indexOf("{");
  if (open >= 0 && namespace.indexOf("}", open + 1) > open + 1) return namespace;
  return `{${namespace.replace(/[{}]/g, "") || "dramatiq"}}`;
}
