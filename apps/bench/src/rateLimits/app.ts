/**
 * The `q` app of the rate-limit benchmark: actor `limited` on queue `limited`, behind a
 * ConcurrentRateLimiter of BENCH_LIMIT on Redis, in the waiting form (BENCH_MODE=wait:
 * actor option `rateLimiter`) or the throwing form (BENCH_MODE=throw: `acquire`, retried
 * with backoff). Each run holds its slot BENCH_HOLD_MS and then counts itself in Redis;
 * each RateLimitExceeded counts a retry.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { RateLimitExceeded, actor, defaultMiddleware, setBroker } from "@q/core";
import { RedisBroker } from "@q/broker-redis";
import { ConcurrentRateLimiter, RateLimits } from "@q/rate-limits";
import { RedisRateLimiterBackend } from "@q/rate-limits/redis";

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const ns = process.env.BENCH_NAMESPACE ?? "bench-rl";
export const broker = new RedisBroker({ url, namespace: ns, middleware: [...defaultMiddleware(), new RateLimits()] });
setBroker(broker);
const limiter = new ConcurrentRateLimiter(new RedisRateLimiterBackend({ url }), `${ns}:limit`, { limit: Number(process.env.BENCH_LIMIT ?? 5), ttl: 60_000 });
const hold = Number(process.env.BENCH_HOLD_MS ?? 20);

async function work(): Promise<void> {
  await sleep(hold);
  await broker.client.incr(`${ns}:done`);
}

if (process.env.BENCH_MODE === "throw") {
  actor(
    async function limited(_n: number) {
      try {
        await limiter.acquire(work);
      } catch (error) {
        if (error instanceof RateLimitExceeded) await broker.client.incr(`${ns}:retries`);
        throw error;
      }
    },
    // Dramatiq's default backoff starts at 15 s; a benchmark of minutes would mostly wait.
    { queueName: "limited", maxRetries: null, minBackoff: 100, maxBackoff: 2_000 },
  );
} else {
  actor(async (_n: number) => work(), { actorName: "limited", queueName: "limited", rateLimiter: limiter, maxRetries: null });
}
