/**
 * @q/rate-limits: distributed rate limiters and barriers for @q (Dramatiq's
 * `dramatiq.rate_limits`), plus `RateLimits`, a middleware with which a worker waits for a
 * slot before a message starts. Backends: `MemoryRateLimiterBackend` here, Redis in
 * `@q/rate-limits/redis`, memcached in `@q/rate-limits/memcached`.
 */
export { RateLimiter, type AcquireOptions, type WaitForSlotOptions } from "./RateLimiter";
export { ConcurrentRateLimiter, type ConcurrentRateLimiterOptions } from "./ConcurrentRateLimiter";
export { BucketRateLimiter, type BucketRateLimiterOptions } from "./BucketRateLimiter";
export { WindowRateLimiter, type WindowRateLimiterOptions } from "./WindowRateLimiter";
export { RateLimits } from "./RateLimits";
export { Barrier, type RateLimiterBackend } from "@q/core";
export { MemoryRateLimiterBackend, type MemoryRateLimiterBackendOptions } from "@q/core/testing";
