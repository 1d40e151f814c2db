/** @q/broker-redis: a Dramatiq-compatible Redis broker for @q. */
export { RedisBroker, type RedisBrokerOptions } from "./RedisBroker";
export { type RedisClusterOptions } from "./clusterConnection";
export { RedisClusterMisconfigured } from "./RedisClusterMisconfigured";
