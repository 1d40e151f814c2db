/**
 * Result wake-up benchmark (`pnpm --filter @q/bench bench:results`): for the memory, Redis
 * and memcached result backends, 200 sequential rounds of "start a blocking getResult,
 * store the result after a random 5-50 ms, time from the store resolving to the read
 * resolving"; prints p50/p99 per backend.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { MemoryResultBackend, type ResultBackend } from "@q/results";
import { MemcachedResultBackend } from "@q/results/memcached";
import { RedisResultBackend } from "@q/results/redis";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function wakeups(backend: ResultBackend, fromStart: number[]): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const message = { queueName: "default", actorName: "bench", messageId: randomUUID() };
    let readAt = 0;
    const reading = backend.getResult(message, { block: true, timeout: 10_000 }).then(() => (readAt = performance.now()));
    await sleep(5 + Math.random() * 45);
    const startedAt = performance.now();
    await backend.storeResult(message, i, 60_000);
    const storedAt = performance.now();
    await reading;
    // On Redis the woken read's reply can land before the store's own reply: 0 then.
    times.push(Math.max(0, readAt - storedAt));
    fromStart.push(readAt - startedAt);
  }
  fromStart.sort((a, b) => a - b);
  return times.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const backends: Array<[string, ResultBackend]> = [
    ["memory", new MemoryResultBackend()],
    ["redis", new RedisResultBackend({ url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" })],
    ["memcached", new MemcachedResultBackend({ servers: process.env.MEMCACHED_SERVERS ?? "127.0.0.1:11211" })],
  ];
  console.log(`${ROUNDS} sequential rounds; ms from the store resolving (and from the store call) to the blocked getResult returning`);
  console.log("backend    p50 stored p99 stored p50 called p99 called");
  for (const [name, backend] of backends) {
    const fromStart: number[] = [];
    const times = await wakeups(backend, fromStart);
    const cells = [times, fromStart].flatMap((t) => [percentile(t, 50), percentile(t, 99)]).map((v) => v.toFixed(2).padStart(9));
    console.log(`${name.padEnd(10)} ${cells.join(" ")}`);
    await backend.close();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
