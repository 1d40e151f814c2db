import { ConnectionFailed } from "@q/core";

/**
 * The broker and the Redis it reached disagree about Redis Cluster: a broker without the
 * `cluster` option pointed at a Cluster node (MOVED, ASK, CLUSTERDOWN replies), keys of one
 * call in different slots (CROSSSLOT, "non local key": a namespace without a hash tag), or a
 * `cluster` broker pointed at a server with cluster support disabled. The message says what
 * is wrong and how to fix it; `cause` is Redis's own reply. A {@link ConnectionFailed}: the
 * broker cannot work against that server as configured, so `q` exits 3 at boot with the
 * message (code `Q_REDIS_CLUSTER_MISCONFIGURED`).
 *
 * @example
 * const broker = new RedisBroker({ url: "redis://10.0.0.5:7000" }); // a Cluster node
 * await ping.send(); // RedisClusterMisconfigured: Redis at 10.0.0.5:7000 is a Redis Cluster node ... use the `cluster` option
 */
export class RedisClusterMisconfigured extends ConnectionFailed {}
