/** A holder that dies without releasing keeps its slot until the TTL, and not forever. */
import { spawn } from "node:child_process";
import path from "node:path";
import { MEMCACHED_SERVERS } from "@q/test-support/memcached";
import { REDIS_URL } from "@q/test-support/redis";
import { waitFor } from "@q/test-support";
import { ConcurrentRateLimiter } from "../src";
import { BACKENDS, freshKey } from "./backends";

const SERVER: Record<string, string> = { redis: REDIS_URL, memcached: MEMCACHED_SERVERS };

describe.each(BACKENDS.slice(1))("a crashed holder on $name", (kind) => {
  beforeAll(() => kind.require());

  test("a slot held by a killed process frees itself after its TTL", async () => {
    const key = freshKey("crash");
    const ttl = 2_000; // whole seconds: memcached counts no finer
    const child = spawn(process.execPath, [path.join(__dirname, "fixtures", "holdSlot.js"), kind.name, SERVER[kind.name]!, key, String(ttl)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    await waitFor("the child to take the slot", () => out.includes("held") || out.includes("busy"));
    expect(out).toBe("held\n");
    const heldAt = Date.now();
    const exited = new Promise((resolve) => child.on("close", resolve));
    child.kill("SIGKILL");
    await exited;
    const backend = kind.make();
    const limiter = new ConcurrentRateLimiter(backend, key, { limit: 1, ttl });
    expect(await limiter.acquireSlot()).toBe(false); // the dead holder still has it
    await waitFor("the slot to free", () => limiter.acquireSlot(), { timeout: ttl + 3_000, interval: 100 });
    const freedAfter = Date.now() - heldAt;
    expect(freedAfter).toBeGreaterThanOrEqual(ttl - 1_000);
    expect(freedAfter).toBeLessThan(ttl + 2_000);
    await limiter.releaseSlot();
    await backend.close?.();
  });
});
