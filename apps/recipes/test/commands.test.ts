// The README's commands, run as written: a `q dist/broker.js dist/tasks.js` worker, the web
// apps through `node dist/serve.js`, and two `node dist/schedule.js` instances side by side.
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { waitFor } from "@q/test-support";
import { type QRun, killAllQ, spawnQ, waitReady } from "@q/test-support/q-process";
import { REDIS_URL, deleteNamespace, freshNamespace, requireRedis } from "@q/test-support/redis";
import Redis from "ioredis";

const APP = path.resolve(__dirname, "..");
const Q_BIN = path.join(path.dirname(require.resolve("@q/cli/package.json")), "dist", "bin.js");
// Each test gets a fresh namespace and queue, and a q worker of its own on them.
let env: Record<string, string>;
let worker: QRun;

beforeAll(() => requireRedis());

beforeEach(async () => {
  const namespace = freshNamespace("qrecipes");
  env = { REDIS_URL, RECIPES_NAMESPACE: namespace, RECIPES_QUEUE: `recipes-${namespace}`, LOG_LEVEL: "info" };
  worker = spawnQ(Q_BIN, ["dist/broker.js", "dist/tasks.js", "-p", "1", "-t", "2"], { cwd: APP, env });
  await waitReady(worker, 1, 20_000);
}, 30_000);

afterEach(async () => {
  worker.proc.kill("SIGTERM");
  const code = await worker.exitCode();
  await killAllQ();
  const redis = new Redis(REDIS_URL);
  await deleteNamespace(redis, env.RECIPES_NAMESPACE!);
  await redis.quit();
  expect(code).toBe(0);
}, 30_000);

/** Starts `node dist/<script> ...args` and returns it once `ready` shows on its stdout. */
async function start(script: string, args: string[], extraEnv: Record<string, string>, ready: RegExp): Promise<{ run: QRun; match: RegExpExecArray }> {
  const run = spawnQ(path.join(APP, "dist", script), args, { cwd: APP, env: { ...env, ...extraEnv } });
  const line = await waitFor(`${script} to say ${ready}`, () => run.stdout.find((l) => ready.test(l)) ?? (run.proc.exitCode !== null ? `exited: ${run.lines.join("\n")}` : undefined), { timeout: 15_000 });
  const match = ready.exec(line);
  if (!match) throw new Error(`${script} did not start: ${line}`);
  return { run, match };
}

async function stop(run: QRun): Promise<number | null> {
  run.proc.kill("SIGTERM");
  return run.exitCode();
}

test.each(["express", "fastify"])("node dist/serve.js %s: jobs run by the q worker, done and failed", async (framework) => {
  const { run, match } = await start("serve.js", [framework], { PORT: "0" }, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
  try {
    const base = match[1]!;
    const post = (body: unknown) => fetch(`${base}/jobs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<any>);
    const added = await post({ a: 40, b: 2 });
    const done = await fetch(`${base}${added.poll}&wait=10000`).then((r) => r.json());
    expect(done).toEqual({ id: added.id, actor: "add", status: "done", result: 42 });

    const divided = await post({ a: 1, b: 0, op: "divide" });
    const failed = await waitFor("the failure", async () => {
      const body = (await fetch(`${base}${divided.poll}&wait=2000`).then((r) => r.json())) as any;
      return body.status === "failed" ? body : undefined;
    });
    expect(failed).toEqual({ id: divided.id, actor: "divide", status: "failed", error: { type: "RangeError", message: "cannot divide 1 by zero" } });
    // The worker's ErrorReporting (the default log transport) reported that attempt once.
    await worker.line(new RegExp(`Reported failure of divide \\(message ${divided.id}, willRetry false\\): RangeError: cannot divide 1 by zero`));
    expect(worker.matching(new RegExp(`Reported failure of divide \\(message ${divided.id}`))).toHaveLength(1);
  } finally {
    expect(await stop(run)).toBe(0);
  }
}, 30_000);

test("two node dist/schedule.js instances every second: each tick enqueued by one of them, run once", async () => {
  const cron = { SCHEDULE_CRON: "* * * * * *" };
  const [a, b] = await Promise.all([start("schedule.js", [], cron, /scheduling printCurrentDate/), start("schedule.js", [], cron, /scheduling printCurrentDate/)]);
  await sleep(3200);
  expect(await stop(a!.run)).toBe(0);
  expect(await stop(b!.run)).toBe(0);
  const enqueued = [...a!.run.stdout, ...b!.run.stdout].map((l) => /enqueued printCurrentDate for (\S+)/.exec(l)?.[1]).filter((t): t is string => !!t);
  expect(enqueued.length).toBeGreaterThanOrEqual(2);
  expect(new Set(enqueued).size).toBe(enqueued.length); // no tick twice
  for (const at of enqueued) await worker.line(new RegExp(`Scheduled for ${at.replace(/\./g, "\\.")}, running at`));
  await sleep(300);
  for (const at of enqueued) expect(worker.matching(new RegExp(`Scheduled for ${at.replace(/\./g, "\\.")}`))).toHaveLength(1);
}, 30_000);
