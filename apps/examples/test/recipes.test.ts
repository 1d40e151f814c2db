// Runs every recipe the way the README says (`q dist/worker.js -p 2` in one terminal,
// `node dist/run.js <recipe>` in another) on each broker with each result store, and checks
// what the producer printed and what the worker logged, counting each line.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import * as amqp from "amqplib";
import Redis from "ioredis";
import { MEMCACHED_SERVERS, requireMemcached } from "@q/test-support/memcached";
import { AMQP_URL, requireRabbit } from "@q/test-support/rabbitmq";
import { REDIS_URL, requireRedis } from "@q/test-support/redis";

const APP = path.resolve(__dirname, "..");
const Q_BIN = path.join(path.dirname(require.resolve("@q/cli/package.json")), "dist", "bin.js");

interface Proc {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function run(args: string[], env: NodeJS.ProcessEnv): Proc {
  const proc = spawn(process.execPath, args, { cwd: APP, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (c) => (out += c));
  proc.stderr!.on("data", (c) => (out += c));
  return { proc, out: () => out, exited: new Promise((resolve) => proc.on("close", resolve)) };
}

/** How many times `text` occurs in `haystack`. */
function count(haystack: string, text: string): number {
  return haystack.split(text).length - 1;
}

async function waitFor(what: () => string, text: string, times = 1, timeout = 20_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (count(what(), text) < times) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${times}× ${JSON.stringify(text)}; output so far:\n${what()}`);
    await sleep(50);
  }
}

/** Runs a recipe to its end; returns its stdout and stderr. */
async function recipe(name: string, env: NodeJS.ProcessEnv): Promise<string> {
  const p = run(["dist/run.js", name], env);
  const code = await p.exited;
  if (code !== 0) throw new Error(`run.js ${name} exited with ${code}:\n${p.out()}`);
  return p.out();
}

const COMBINATIONS = [
  { broker: "redis", results: "redis" },
  { broker: "redis", results: "memcached" },
  { broker: "rabbitmq", results: "redis" },
  { broker: "rabbitmq", results: "memcached" },
] as const;

describe.each(COMBINATIONS)("the recipes on $broker with results in $results, two q worker processes", ({ broker, results }) => {
  const id = Math.random().toString(16).slice(2, 10);
  const env = {
    ...process.env,
    EXAMPLES_BROKER: broker,
    EXAMPLES_RESULTS: results,
    REDIS_URL,
    AMQP_URL,
    MEMCACHED_SERVERS,
    EXAMPLES_NAMESPACE: `qexamples-${id}`,
    EXAMPLES_QUEUE: `examples-${id}`,
    LOG_LEVEL: "info",
  };
  let worker: Proc;

  beforeAll(async () => {
    await requireRedis();
    if (broker === "rabbitmq") await requireRabbit();
    if (results === "memcached") await requireMemcached();
    worker = run([Q_BIN, "dist/worker.js", "-p", "2", "-t", "2"], env);
    await waitFor(worker.out, "Worker process is ready for action.", 2);
  }, 30_000);

  afterAll(async () => {
    worker.proc.kill("SIGTERM");
    const code = await worker.exited;
    if (broker === "redis") {
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${env.EXAMPLES_NAMESPACE}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    } else {
      const connection = await amqp.connect(AMQP_URL);
      const channel = await connection.createChannel();
      for (const q of [env.EXAMPLES_QUEUE, `${env.EXAMPLES_QUEUE}.DQ`, `${env.EXAMPLES_QUEUE}.XQ`]) await channel.deleteQueue(q);
      await connection.close();
    }
    expect(code).toBe(0);
  }, 30_000);

  test("callbacks: onSuccess gets the result once, onFailure the error once", async () => {
    const out = await recipe("callbacks", env);
    const ok = /Sent ([0-9a-f-]{36}): identity\(42\)/.exec(out)![1]!;
    const bad = /Sent ([0-9a-f-]{36}): explode\('gravel'\)/.exec(out)![1]!;
    const success = `The result of message ${ok} was 42.`;
    const failure = `Message ${bad} failed: type TypeError, message "cannot frobnicate gravel".`;
    await waitFor(worker.out, success);
    await waitFor(worker.out, failure);
    await sleep(300);
    expect(count(worker.out(), success)).toBe(1);
    expect(count(worker.out(), failure)).toBe(1); // maxRetries 0: one attempt, one callback
  }, 30_000);

  test("results: getResult waits for the sum, and a failure comes back as ResultFailure", async () => {
    const out = await recipe("results", env);
    expect(out).toContain("add(1, 2) = 3\n");
    expect(out).toContain(`explode('rocks') failed: actor raised TypeError: cannot frobnicate rocks (type TypeError, message "cannot frobnicate rocks")\n`);
  }, 30_000);

  test("groups: wait, completedCount, results in member order, and the completion callback exactly once", async () => {
    const before = count(worker.out(), "Group done: frobnicated 3");
    const out = await recipe("groups", env);
    expect(out).toContain("completed: 3 of 3\n");
    expect(out).toContain("results in member order: [2,6,12]\n");
    await waitFor(worker.out, "Group done: frobnicated 3", before + 1);
    await sleep(500);
    expect(count(worker.out(), "Group done: frobnicated 3")).toBe(before + 1);
  }, 30_000);

  test("pipelines: a result piped into the next step, pipeIgnore, getResult and getResults", async () => {
    const out = await recipe("pipelines", env);
    expect(out).toContain("words: 9\n");
    expect(out).toContain(`end result: "launched with 0000, 1234"\n`);
    expect(out).toContain(`every step: ["busted",["0000","1234"],"launched with 0000, 1234"]\n`);
    expect(count(worker.out(), "There are 9 words at http://127.0.0.1:")).toBe(1);
  }, 30_000);

  test("fan-out: a group step hands its results to the next step, and asCompleted yields every member once", async () => {
    const out = await recipe("fan-out", env);
    expect(out).toContain("total of the fan-out: 20\n");
    expect(out).toContain("as completed, sorted: [10,30,50]\n");
  }, 30_000);
});
