/**
 * @q/results/redis: the Redis result backend (needs `ioredis`, an optional peer dependency
 * of @q/results).
 */
export { RedisResultBackend, type RedisResultBackendOptions } from "./RedisResultBackend";
export type { RedisSentinelOptions } from "@q/core/broker";
