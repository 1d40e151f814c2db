/**
 * Python Dramatiq and @q sharing a queue on a Redis Sentinel set, across a failover: @q sends
 * through `RedisBroker({ sentinel })`, a real Dramatiq worker consumes through
 * `RedisBroker(client=Sentinel(...).master_for(name))`. After a kill -9 of the primary both
 * follow the promoted replica by themselves: what @q sends then, Python runs, each message once.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { actor } from "@q/core";
import { RedisBroker } from "@q/broker-redis";
import { RedisSentinelSet } from "@q/test-support/redis-sentinel";
import { silentLogger, waitFor } from "@q/test-support";
import { freshNamespace } from "@q/test-support/redis";
import { PYTHON, requirePython } from "./python";

jest.setTimeout(120_000);

test("a Dramatiq worker on the Sentinel set runs @q's messages before and after a failover, each once", async () => {
  requirePython();
  const set = await RedisSentinelSet.start();
  const namespace = freshNamespace();
  const queue = "sentinel_py";
  const spec = { sentinels: set.sentinels, name: set.name, namespace, queue };
  const child = spawn(PYTHON, [join(__dirname, "..", "python", "sentinel_worker.py"), JSON.stringify(spec)], { stdio: ["ignore", "pipe", "pipe"] });
  const runs = new Map<number, number>();
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString("utf8");
    const lines = stdout.split("\n");
    stdout = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith("{")) {
        const i = (JSON.parse(line) as { ran: number }).ran;
        runs.set(i, (runs.get(i) ?? 0) + 1);
      } else if (line === "ready") runs.set(-1, 1);
    }
  });
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  const broker = new RedisBroker({ sentinel: { sentinels: [...set.sentinels], name: set.name }, namespace, logger: silentLogger() });
  try {
    const echo = actor(function sentinel_echo(_i: number) {}, { broker, queueName: queue });
    await waitFor(`the Python worker to be ready (stderr: ${stderr})`, () => runs.has(-1), { timeout: 30_000 });
    runs.delete(-1);
    const N = 200;
    for (let i = 0; i < N; i++) await echo.send(i);
    await waitFor("Python to run the first half", () => runs.size === N, { timeout: 30_000 });

    const killed = await set.killPrimary();
    await set.waitForFailover(killed);
    for (let i = N; i < 2 * N; i++) await echo.send(i); // waits for the new primary as needed
    await waitFor(`Python to run the second half on the new primary (ran ${runs.size}); its log:\n${stderr.slice(-2000)}`, () => runs.size === 2 * N, { timeout: 60_000 });
    for (const [i, n] of runs) expect([i, n]).toEqual([i, 1]);
    const resumedAfterMs = Date.now() - killed.at;
    process.stderr.write(`[sentinel interop] Python ran all ${2 * N} messages ${resumedAfterMs} ms after the kill\n`);
  } finally {
    await broker.close();
    child.kill("SIGKILL");
    await set.destroy();
  }
});
