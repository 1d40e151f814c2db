/**
 * Rate-limit benchmarks (`pnpm --filter @q/bench bench:rate-limits`):
 * 1. the cost of one acquire and one release of a ConcurrentRateLimiter on Redis and
 *    memcached (sequential, one client, µs per call);
 * 2. how many messages per second a `limit: 5` concurrent limiter lets through across two
 *    `q` processes (8 threads each, each run holding its slot 20 ms: at most 250/s), in the
 *    throwing form (RateLimitExceeded → retry with backoff) and the waiting form, and how
 *    many retries each caused.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import Redis from "ioredis";
import { Message } from "@q/core";
import { RedisBroker } from "@q/broker-redis";
import { ConcurrentRateLimiter } from "@q/rate-limits";
import { RedisRateLimiterBackend } from "@q/rate-limits/redis";
import { MemcachedRateLimiterBackend } from "@q/rate-limits/memcached";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const MEMCACHED = process.env.MEMCACHED_SERVERS ?? "127.0.0.1:11211";
const N = Number(process.env.BENCH_OPS ?? 5_000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 1_000);

async function cost(name: string, backend: RedisRateLimiterBackend | MemcachedRateLimiterBackend): Promise<void> {
  const limiter = new ConcurrentRateLimiter(backend, `bench-rl-cost-${process.pid}-${name}`, { limit: 1 });
  for (let i = 0; i < 200; i++) {
    await limiter.acquireSlot();
    await limiter.releaseSlot();
  }
  let acquire = 0;
  let release = 0;
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    if (!(await limiter.acquireSlot())) throw new Error("the slot was not free");
    const t1 = performance.now();
    await limiter.releaseSlot();
    acquire += t1 - t0;
    release += performance.now() - t1;
  }
  console.log(`${name}: acquire ${((acquire / N) * 1000).toFixed(0)} µs, release ${((release / N) * 1000).toFixed(0)} µs (mean of ${N}, sequential)`);
  await backend.close();
}

async function throughput(mode: "throw" | "wait"): Promise<void> {
  const ns = `bench-rl-${mode}-${process.pid}`;
  const admin = new Redis(REDIS_URL);
  const env = { ...process.env, REDIS_URL, BENCH_NAMESPACE: ns, BENCH_MODE: mode, BENCH_LIMIT: "5", BENCH_HOLD_MS: "20", LOG_LEVEL: "warn" };
  const bin = require.resolve("@q/cli/package.json").replace(/package\.json$/, "dist/bin.js");
  const q = spawn(process.execPath, [bin, path.join(__dirname, "rateLimits", "app.js"), "--processes", "2", "--threads", "8"], { env, stdio: ["ignore", "ignore", "inherit"] });
  const producer = new RedisBroker({ url: REDIS_URL, namespace: ns });
  producer.declareQueue("limited");
  await new Promise((r) => setTimeout(r, 3_000)); // both processes up
  const started = performance.now();
  await producer.enqueueMany(Array.from({ length: MESSAGES }, (_, n) => new Message({ queueName: "limited", actorName: "limited", args: [n] })));
  while (Number(await admin.get(`${ns}:done`)) < MESSAGES) await new Promise((r) => setTimeout(r, 20));
  const seconds = (performance.now() - started) / 1000;
  const retries = Number((await admin.get(`${ns}:retries`)) ?? 0);
  console.log(`${mode} form: ${MESSAGES} messages in ${seconds.toFixed(2)} s = ${(MESSAGES / seconds).toFixed(0)} msg/s (ceiling 250), ${retries} retries`);
  q.kill("SIGTERM");
  await new Promise((r) => q.on("close", r));
  await producer.close();
  const keys = await admin.keys(`${ns}*`);
  if (keys.length) await admin.del(...keys);
  await admin.quit();
}

async function main(): Promise<void> {
  await cost("redis", new RedisRateLimiterBackend({ url: REDIS_URL }));
  await cost("memcached", new MemcachedRateLimiterBackend({ servers: MEMCACHED }));
  await throughput("wait");
  await throughput("throw");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
