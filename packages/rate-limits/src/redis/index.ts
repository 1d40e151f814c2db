/**
 * @q/rate-limits/redis: the Redis rate-limiter backend (needs `ioredis`, an optional peer
 * dependency of @q/rate-limits).
 */
export { RedisRateLimiterBackend, type RedisRateLimiterBackendOptions } from "./RedisRateLimiterBackend";
export type { RedisSentinelOptions } from "@q/core/broker";
