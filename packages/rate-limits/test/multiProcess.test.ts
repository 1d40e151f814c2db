/**
 * Several `q` worker processes (the real CLI) contend for one Redis mutex: the critical
 * section is never held twice, in the waiting form and in the throwing form.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import Redis from "ioredis";
import { waitFor } from "@q/test-support";
import { REDIS_URL, deleteNamespace, freshNamespace, requireRedis } from "@q/test-support/redis";
import { Message } from "@q/core";
import { RedisBroker } from "@q/broker-redis";

const BIN = require.resolve("@q/cli/package.json").replace(/package\.json$/, "dist/bin.js");
const FIXTURES = path.join(__dirname, "fixtures");

let admin: Redis;
beforeAll(async () => {
  await requireRedis();
  admin = new Redis(REDIS_URL);
});
afterAll(() => admin.quit());

interface Event {
  kind: "enter" | "exit";
  n: number;
  pid: number;
  at: number;
}

async function runContention(mode: "wait" | "throw", messages: number): Promise<{ events: Event[]; counter: number }> {
  const ns = freshNamespace("qtest-rlmp");
  const env = { ...process.env, REDIS_URL, Q_NAMESPACE: ns, Q_MODE: mode, Q_COUNTER: "1", LOG_LEVEL: "warn" };
  const q = spawn(process.execPath, [BIN, "mutex.js", "--processes", "3", "--threads", "4", "--worker-shutdown-timeout", "5000"], { cwd: FIXTURES, env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  q.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => q.on("close", resolve));
  const producer = new RedisBroker({ url: REDIS_URL, namespace: ns });
  try {
    producer.declareQueue("critical");
    await producer.enqueueMany(Array.from({ length: messages }, (_, n) => new Message({ queueName: "critical", actorName: "critical", args: [n] })));
    await waitFor(`${messages} exits (q stderr: ${stderr})`, async () => (await admin.lrange(`${ns}:events`, 0, -1)).filter((e) => e.startsWith("exit")).length >= messages, {
      timeout: 60_000,
      interval: 100,
    });
    q.kill("SIGTERM");
    expect(await exited).toBe(0);
    const events = (await admin.lrange(`${ns}:events`, 0, -1)).map((line) => {
      const [kind, n, pid, at] = line.split(" ");
      return { kind: kind as Event["kind"], n: Number(n), pid: Number(pid), at: Number(at) };
    });
    const counter = Number(await admin.get(`${ns}:counter`));
    return { events, counter };
  } finally {
    if (q.exitCode === null) q.kill("SIGKILL");
    await producer.close();
    await deleteNamespace(admin, ns);
  }
}

/** Each enter is followed by its own exit before the next enter (events are RPUSHed in order on one Redis). */
function assertNeverHeldTwice(events: Event[], messages: number): void {
  let holder: Event | undefined;
  for (const e of events) {
    if (e.kind === "enter") {
      expect(holder).toBeUndefined();
      holder = e;
    } else {
      expect(holder).toMatchObject({ n: e.n, pid: e.pid });
      holder = undefined;
    }
  }
  const entered = events.filter((e) => e.kind === "enter").map((e) => e.n).sort((a, b) => a - b);
  expect(entered).toEqual(Array.from({ length: messages }, (_, i) => i)); // each exactly once
}

test.each(["wait", "throw"] as const)("3 q processes × 4 threads share a mutex (%s form): it is never held twice", async (mode) => {
  const messages = 40;
  const { events, counter } = await runContention(mode, messages);
  assertNeverHeldTwice(events, messages);
  expect(counter).toBe(messages); // no lost update: the read-sleep-write never overlapped
  expect(new Set(events.map((e) => e.pid)).size).toBeGreaterThanOrEqual(2);
}, 90_000);
