/**
 * @q/results/memcached: the memcached result backend (needs `memjs`, an optional peer
 * dependency of @q/results).
 */
export { MemcachedResultBackend, type MemcachedResultBackendOptions, type MemjsClient } from "./MemcachedResultBackend";
