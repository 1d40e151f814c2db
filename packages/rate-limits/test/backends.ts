/** The three backends, for tests that run against each of them. */
import type { RateLimiterBackend } from "@q/core";
import { MEMCACHED_SERVERS, requireMemcached } from "@q/test-support/memcached";
import { REDIS_URL, requireRedis } from "@q/test-support/redis";
import { MemoryRateLimiterBackend } from "../src";
import { MemcachedRateLimiterBackend } from "../src/memcached";
import { RedisRateLimiterBackend } from "../src/redis";

export interface BackendKind {
  name: string;
  require(): Promise<void>;
  make(): RateLimiterBackend & { close?(): Promise<void> };
}

export const BACKENDS: readonly BackendKind[] = [
  { name: "memory", require: async () => undefined, make: () => new MemoryRateLimiterBackend() },
  { name: "redis", require: () => requireRedis(), make: () => new RedisRateLimiterBackend({ url: REDIS_URL }) },
  { name: "memcached", require: () => requireMemcached(), make: () => new MemcachedRateLimiterBackend({ servers: MEMCACHED_SERVERS }) },
];

/** A key no other test run uses. */
export function freshKey(name: string): string {
  return `qtest-rl-${Math.random().toString(16).slice(2, 10)}:${name}`;
}
