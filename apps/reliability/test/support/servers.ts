/**
 * Helpers of the server-fault files (restarts, drops, unreachable): the producer process, what
 * is left on a server after a run, and the measures the figures are made of.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import type Redis from "ioredis";
import type { RabbitServer } from "@q/test-support/rabbit-server";
import type { QRun } from "@q/test-support/q-process";
import { FIXTURES } from "./chaosQ";
import type { LedgerEntry } from "./ledger";

export interface ProducerRun {
  readonly proc: ChildProcess;
  /** Send index → when it resolved (Date.now() in the producer). */
  readonly resolved: Map<number, number>;
  /** Rejected sends: index, when, the error's class (or `untyped:<name>`), `written`, message. */
  readonly rejected: { i: number; at: number; error: string; written: string; message: string }[];
  /** Resolves once the producer printed DONE and exited 0; rejects if it exits otherwise or `timeout` passes. */
  done(timeout: number): Promise<void>;
  readonly stderr: string[];
}

/**
 * Spawns test/fixtures/producer.cjs sending `count` messages and collects what it prints.
 *
 * @example
 * const producer = startProducer({ broker: "redis", url, namespace, queue, count: 2000, env: ledger.env });
 * await producer.done(60_000);
 */
export function startProducer(options: {
  broker: "redis" | "rabbitmq";
  url: string;
  namespace?: string;
  queue: string;
  count: number;
  env?: NodeJS.ProcessEnv;
  window?: number;
  pauseMs?: number;
  confirm?: boolean;
}): ProducerRun {
  const proc = spawn(process.execPath, [path.join(FIXTURES, "producer.cjs")], {
    cwd: FIXTURES,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      LOG_LEVEL: process.env.PRODUCER_LOG_LEVEL ?? "warn",
      CHAOS_BROKER: options.broker,
      CHAOS_URL: options.url,
      CHAOS_NAMESPACE: options.namespace,
      CHAOS_QUEUE: options.queue,
      PRODUCER_COUNT: String(options.count),
      PRODUCER_WINDOW: String(options.window ?? 20),
      PRODUCER_PAUSE_MS: String(options.pauseMs ?? 10),
      PRODUCER_CONFIRM: options.confirm ? "1" : "0",
      ...options.env,
    },
  });
  producers.add(proc);
  const resolved = new Map<number, number>();
  const rejected: ProducerRun["rejected"] = [];
  const stderr: string[] = [];
  let finished = false;
  let partial = "";
  proc.stdout!.on("data", (chunk: Buffer) => {
    const parts = (partial + chunk.toString("utf8")).split("\n");
    partial = parts.pop()!;
    for (const line of parts) {
      const [kind, i, at, error, written, ...message] = line.split(" ");
      if (kind === "R") resolved.set(Number(i), Number(at));
      else if (kind === "E") rejected.push({ i: Number(i), at: Number(at), error: error!, written: written!, message: message.join(" ") });
      else if (kind === "DONE") finished = true;
    }
  });
  proc.stderr!.on("data", (chunk: Buffer) => stderr.push(...chunk.toString("utf8").split("\n").filter(Boolean)));
  const exited = new Promise<number | null>((resolve) => proc.on("close", (code) => (producers.delete(proc), resolve(code))));
  return {
    proc,
    resolved,
    rejected,
    stderr,
    async done(timeout) {
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeout)))]);
      clearTimeout(timer);
      if (code === "timeout") {
        throw new Error(`The producer did not finish within ${timeout} ms: ${resolved.size} resolved, ${rejected.length} rejected, ${options.count - resolved.size - rejected.length} never settled. stderr:\n${stderr.join("\n")}`);
      }
      if (code !== 0 || !finished) throw new Error(`The producer exited with ${code} (DONE printed: ${finished}). stderr:\n${stderr.join("\n")}`);
    },
  };
}

const producers = new Set<ChildProcess>();

/** SIGKILLs every producer still running (afterAll). */
export function killProducers(): void {
  for (const proc of producers) proc.kill("SIGKILL");
  producers.clear();
}

/** Waits until `check()` holds, checking every 50 ms; fails naming `what` after `timeout`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeout} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What a run's ledger says about the sends that resolved: none may be missing; duplicates are counted. */
export function account(entries: readonly LedgerEntry[], resolved: ReadonlyMap<number, number>) {
  const runs = new Map<number, number>();
  for (const { i } of entries) runs.set(i, (runs.get(i) ?? 0) + 1);
  const lost = [...resolved.keys()].filter((i) => !runs.has(i)).sort((a, b) => a - b);
  let duplicates = 0;
  for (const n of runs.values()) duplicates += n - 1;
  // Processed although their send rejected (written: "maybe", or a retry whose first try landed).
  const unresolvedProcessed = [...runs.keys()].filter((i) => !resolved.has(i)).length;
  return { resolved: resolved.size, processed: runs.size, lost, duplicates, unresolvedProcessed };
}

/** First time ≥ `since` in `times` minus `since` (ms), or undefined when there is none. */
export function firstAfter(times: Iterable<number>, since: number): number | undefined {
  let first = Infinity;
  for (const t of times) if (t >= since && t < first) first = t;
  return first === Infinity ? undefined : first - since;
}

/** Messages left in a Redis namespace's queue and in any worker's ack set. */
export async function redisLeftovers(admin: Redis, namespace: string, queue: string): Promise<{ listed: number; stored: number; inAckSets: number; dead: number }> {
  let inAckSets = 0;
  for (const key of await admin.keys(`${namespace}:__acks__.*`)) inAckSets += await admin.scard(key);
  return {
    listed: (await admin.llen(`${namespace}:${queue}`)) + (await admin.llen(`${namespace}:${queue}.DQ`)),
    stored: (await admin.hlen(`${namespace}:${queue}.msgs`)) + (await admin.hlen(`${namespace}:${queue}.DQ.msgs`)),
    inAckSets,
    dead: await admin.zcard(`${namespace}:${queue}.XQ`),
  };
}

/** `rabbitmqctl list_queues`: ready and unacked counts of a queue (zeros if it does not exist). */
export async function rabbitCounts(server: RabbitServer, queue: string): Promise<{ ready: number; unacked: number }> {
  const out = await server.ctl(["list_queues", "name", "messages_ready", "messages_unacknowledged", "--quiet", "--no-table-headers"]);
  for (const line of out.split("\n")) {
    const [name, ready, unacked] = line.trim().split(/\s+/);
    if (name === queue) return { ready: Number(ready), unacked: Number(unacked) };
  }
  return { ready: 0, unacked: 0 };
}

/** q's ERROR lines (what a user would be alarmed by). */
export function errorLines(q: QRun): string[] {
  return q.matching(/\[ERROR\]|\[CRITICAL\]/);
}

/** Ledger times of the runs, for stuck-time measures. */
export const times = (entries: readonly LedgerEntry[]): number[] => entries.map((e) => e.at);
