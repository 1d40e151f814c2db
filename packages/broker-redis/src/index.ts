/** @q/broker-redis: a Dramatiq-compatible Redis broker for @q. */
export { RedisBroker, type RedisBrokerOptions } from "./RedisBroker";
export { type RedisClusterOptions } from "./clusterConnection";
export { RedisClusterMisconfigured } from "./RedisClusterMisconfigured";
export { EnqueueNotReplicated } from "./EnqueueNotReplicated";
export type { DurableEnqueueOptions } from "./DurableEnqueue";
export type { RedisSentinelOptions } from "@q/core/broker";
