import { runRateLimiterBackendConformance } from "@q/core/testing";
import { REDIS_URL, requireRedis } from "@q/test-support/redis";
import { RedisRateLimiterBackend } from "../src/redis";

beforeAll(() => requireRedis());

runRateLimiterBackendConformance({
  name: "RedisRateLimiterBackend",
  makeBackend: () => new RedisRateLimiterBackend({ url: REDIS_URL }),
  destroyBackend: (backend) => backend.close(),
});
