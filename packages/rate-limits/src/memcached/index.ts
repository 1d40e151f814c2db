/**
 * @q/rate-limits/memcached: the memcached rate-limiter backend (needs `memjs`, an optional
 * peer dependency of @q/rate-limits).
 */
export { MemcachedRateLimiterBackend, type MemcachedRateLimiterBackendOptions } from "./MemcachedRateLimiterBackend";
export type { MemjsClient, MemjsResponse } from "./MemjsClient";
