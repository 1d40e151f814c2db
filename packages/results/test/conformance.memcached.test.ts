import { runResultBackendConformance } from "@q/core/testing";
import { MEMCACHED_SERVERS, requireMemcached } from "@q/test-support/memcached";
import { MemcachedResultBackend } from "../src/memcached";

beforeAll(() => requireMemcached());

runResultBackendConformance({
  name: "MemcachedResultBackend",
  makeBackend: (options) => new MemcachedResultBackend({ ...options, servers: MEMCACHED_SERVERS }),
  destroyBackend: (backend) => backend.close(),
  // memcached keeps expiries in whole seconds.
  ttlResolution: 1000,
});
