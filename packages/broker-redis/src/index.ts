/** @q/broker-redis: a Dramatiq-compatible Redis broker for @q. */
export { RedisBroker, type RedisBrokerOptions } from "./RedisBroker";
export { EnqueueNotReplicated } from "./EnqueueNotReplicated";
export type { DurableEnqueueOptions } from "./DurableEnqueue";
export type { RedisSentinelOptions } from "@q/core/broker";
