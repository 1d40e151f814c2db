import { runResultBackendConformance } from "@q/core/testing";
import { REDIS_URL, requireRedis } from "@q/test-support/redis";
import { RedisResultBackend } from "../src/redis";

beforeAll(() => requireRedis());

runResultBackendConformance({
  name: "RedisResultBackend",
  makeBackend: (options) => new RedisResultBackend({ ...options, url: REDIS_URL }),
  destroyBackend: (backend) => backend.close(),
});

// One blocking connection: the kit's concurrent waiters queue for it and must still all be served.
runResultBackendConformance({
  name: "RedisResultBackend (maxBlockingConnections: 1)",
  makeBackend: (options) => new RedisResultBackend({ ...options, url: REDIS_URL, maxBlockingConnections: 1 }),
  destroyBackend: (backend) => backend.close(),
  skip: ["expiry", "round-trip", "overwrite", "queue-suffix", "namespace", "prefix-keys", "missing", "exception", "close"],
});
