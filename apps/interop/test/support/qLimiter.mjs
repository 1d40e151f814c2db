// The @q side of the shared-limiter interop test: argv[2] is the same JSON spec as
// q_interop.py's `limiter` command, run with @q/rate-limits in one Node process ("threads"
// are concurrent async loops). Appends {"lang": "q", "kind", "at"} lines to `out`.
import { appendFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import process from "node:process";
import { ConcurrentRateLimiter } from "@q/rate-limits";
import { RedisRateLimiterBackend } from "@q/rate-limits/redis";
import { MemcachedRateLimiterBackend } from "@q/rate-limits/memcached";

const spec = JSON.parse(process.argv[2]);
const backend = spec.backend === "redis" ? new RedisRateLimiterBackend({ url: spec.url }) : new MemcachedRateLimiterBackend({ servers: spec.servers });
const mutex = new ConcurrentRateLimiter(backend, spec.key, { limit: spec.limit, ttl: spec.ttl });
const record = (kind) => appendFileSync(spec.out, JSON.stringify({ lang: "q", kind, at: Date.now() }) + "\n");

async function run() {
  await sleep(Math.max(0, spec.start_at - Date.now()));
  for (let i = 0; i < spec.attempts; i++) {
    await mutex.tryAcquire(async (acquired) => {
      if (!acquired) return;
      record("enter");
      await sleep(spec.hold_ms);
      record("exit");
    });
    await sleep(spec.gap_ms ?? 5);
  }
}

await Promise.all(Array.from({ length: spec.threads ?? 1 }, run));
await backend.close();
