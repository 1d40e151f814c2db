// Runs the README's two-terminal flow on the test Redis, so it cannot rot: a `q` worker
// (the real binary, as `pnpm worker` starts it) and the producer (`pnpm produce`).
import { setTimeout as sleep } from "node:timers/promises";
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import Redis from "ioredis";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const DEMO = path.resolve(__dirname, "..");
const Q_BIN = path.join(path.dirname(require.resolve("@q/cli/package.json")), "dist", "bin.js");
const namespace = `qdemo-${Math.random().toString(16).slice(2, 10)}`;
const env = { ...process.env, REDIS_URL, DEMO_NAMESPACE: namespace, LOG_LEVEL: "info" };
let redis: Redis;
let worker: ChildProcess | undefined;

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
  } catch (error) {
    throw new Error(`Redis is not reachable at ${REDIS_URL}: run bash tooling/scripts/services.sh redis`, { cause: error });
  }
});

afterAll(async () => {
  worker?.kill("SIGKILL");
  const keys = await redis.keys(`${namespace}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

/** Collects a process's output as text; resolves its exit code. */
function run(command: string, args: string[]): { proc: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const proc = spawn(command, args, { cwd: DEMO, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (c) => (out += c));
  proc.stderr!.on("data", (c) => (out += c));
  return { proc, out: () => out, exited: new Promise((resolve) => proc.on("close", resolve)) };
}

async function waitForText(what: () => string, text: string, timeout = 15_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!what().includes(text)) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${JSON.stringify(text)}; output so far:\n${what()}`);
    await sleep(50);
  }
}

test("terminal 1 runs `q dist/redis/worker.js`, terminal 2 runs the producer; the worker counts the words", async () => {
  const q = run(process.execPath, [Q_BIN, "dist/redis/worker.js", "-p", "1"]);
  worker = q.proc;
  await waitForText(q.out, "Worker process is ready for action.");

  const producer = run(process.execPath, ["dist/redis/produce.js"]);
  expect(await producer.exited).toBe(0);
  expect(producer.out()).toContain("Sent countWords('file://");

  await waitForText(q.out, "harbor.txt.");
  await waitForText(q.out, "lighthouse.txt.");
  await waitForText(q.out, "Gave up on file://");
  const text = q.out();
  expect(text).toMatch(/\[demo\.countWords\] \[INFO\] There are 51 words at file:\/\/.*\/harbor\.txt\./);
  expect(text).toMatch(/\[demo\.countWords\] \[INFO\] There are 39 words at file:\/\/.*\/orchard\.txt\./);
  expect(text).toMatch(/\[demo\.countWords\] \[INFO\] There are 27 words at file:\/\/.*\/lighthouse\.txt\./);
  expect(text).toMatch(/\[demo\.worker\] \[WARNING\] Gave up on file:\/\/.*\/missing\.txt after 3 attempts: Error: ENOENT/);

  q.proc.kill("SIGTERM");
  expect(await q.exited).toBe(0);
  worker = undefined;
}, 30_000);
