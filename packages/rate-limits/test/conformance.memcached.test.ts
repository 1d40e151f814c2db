import { runRateLimiterBackendConformance } from "@q/core/testing";
import { MEMCACHED_SERVERS, requireMemcached } from "@q/test-support/memcached";
import { MemcachedRateLimiterBackend } from "../src/memcached";

beforeAll(() => requireMemcached());

runRateLimiterBackendConformance({
  name: "MemcachedRateLimiterBackend",
  makeBackend: () => new MemcachedRateLimiterBackend({ servers: MEMCACHED_SERVERS }),
  destroyBackend: (backend) => backend.close(),
  // memcached keeps expiries in whole seconds.
  ttlResolution: 1000,
});
