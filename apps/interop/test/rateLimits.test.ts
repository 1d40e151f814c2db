/**
 * Python Dramatiq processes and @q processes share one ConcurrentRateLimiter, on Redis and
 * on memcached: together they never hold more than `limit` slots, and both get slots.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MEMCACHED_SERVERS, requireMemcached } from "@q/test-support/memcached";
import { REDIS_URL, requireRedis } from "@q/test-support/redis";
import { readJsonLines, requirePython, runPython } from "./python";

interface Line {
  lang: "python" | "q";
  kind: "enter" | "exit";
  at: number;
}

const QLIMITER = join(__dirname, "support", "qLimiter.mjs");

function runNode(spec: object): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [QLIMITER, JSON.stringify(spec)], { stdio: ["ignore", "inherit", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`qLimiter.mjs exited with ${code}:\n${stderr}`))));
  });
}

/** The most slots held at once, from enter/exit times (an exit sorts before an enter at the same ms). */
function mostHeld(lines: Line[]): number {
  const events = [...lines].sort((a, b) => a.at - b.at || (a.kind === "exit" ? -1 : 1));
  let held = 0;
  let most = 0;
  for (const e of events) {
    held += e.kind === "enter" ? 1 : -1;
    most = Math.max(most, held);
  }
  return most;
}

const BACKENDS = [
  { backend: "redis", require: () => requireRedis(), where: { url: REDIS_URL } },
  { backend: "memcached", require: () => requireMemcached(), where: { servers: MEMCACHED_SERVERS } },
] as const;

/** What the counter at `key` holds now, read by taking it down to 0 (nobody holds a slot then). */
async function drainCounter(backend: string, where: { url?: string; servers?: string }, key: string): Promise<number> {
  const { RedisRateLimiterBackend } = await import("@q/rate-limits/redis");
  const { MemcachedRateLimiterBackend } = await import("@q/rate-limits/memcached");
  const b = backend === "redis" ? new RedisRateLimiterBackend({ url: where.url }) : new MemcachedRateLimiterBackend({ servers: where.servers });
  let n = 0;
  while (await b.decr(key, 1, 0, 60_000)) n++;
  await b.close();
  return n;
}

describe.each(BACKENDS)("a ConcurrentRateLimiter shared by Python and @q on $backend", ({ backend, require, where }) => {
  let dir: string;
  beforeAll(async () => {
    requirePython();
    await require();
  });
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "q-interop-rl-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Two Python processes and two @q processes, 2 "threads" each, `attempts` tries per thread. */
  async function contend(limit: number, attempts: number, gapMs = 5) {
    const out = join(dir, `events-${limit}.jsonl`);
    const key = `qtest-interop-rl-${Math.random().toString(16).slice(2, 10)}`;
    const spec = { backend, ...where, key, limit, ttl: 60_000, threads: 2, attempts, hold_ms: 30, gap_ms: gapMs, start_at: Date.now() + 3_000, out };
    await Promise.all([runPython("limiter", spec), runPython("limiter", spec), runNode(spec), runNode(spec)]);
    const lines = readJsonLines<Line>(out);
    const enters = (lang: Line["lang"]) => lines.filter((l) => l.lang === lang && l.kind === "enter").length;
    expect(lines.filter((l) => l.kind === "exit")).toHaveLength(enters("python") + enters("q"));
    return { most: mostHeld(lines), python: enters("python"), q: enters("q"), left: await drainCounter(backend, where, key) };
  }

  test("with a slot for every thread, both languages take and give back slots of one counter, which ends at 0", async () => {
    const r = await contend(8, 10);
    expect(r.most).toBeLessThanOrEqual(8);
    expect(r.python).toBe(40); // nobody was ever refused
    expect(r.q).toBe(40);
    expect(r.left).toBe(0); // each side's releases took back the other's acquires exactly
  }, 60_000);

  test("contending for 2 slots, Python and @q together never hold more than 2", async () => {
    // 8 threads that each want a slot 30 ms of every 80: 3 slots' worth of demand for 2, so
    // they contend, but with room enough that neither side can be starved by chance (with a
    // 5 ms gap, a loaded CI machine once gave Python none of its 30 attempts).
    const r = await contend(2, 15, 50);
    expect(r.most).toBeLessThanOrEqual(2);
    expect(r.python + r.q).toBeGreaterThan(0);
    if (backend === "redis") {
      expect(r.left).toBe(0);
      expect(r.python).toBeGreaterThan(0);
      expect(r.q).toBeGreaterThan(0);
    }
    // memcached: Dramatiq's incr raises the counter when it refuses, so `left` counts the
    // slots Python's refused attempts leaked (the limiter stays full until the key expires).
    console.log(`${backend}, limit 2: python ${r.python} slots, q ${r.q} slots of 60 attempts each; counter left at ${r.left} with no holder`);
  }, 60_000);
});
