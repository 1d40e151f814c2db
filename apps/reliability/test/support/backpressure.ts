import { spawn } from "node:child_process";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type QRun, waitReady } from "@q/test-support/q-process";
import { FIXTURES, killGroup } from "./chaosQ";
import { childPids } from "./killer";
import { Ledger } from "./ledger";
import { RssSampler, type RssSummary } from "./rss";
import { enqueueRange, producerBroker, startTracked } from "./tracked";

export interface Target {
  readonly broker: "redis" | "rabbitmq";
  readonly url: string;
  readonly namespace?: string;
  readonly queue: string;
}

export interface DrainResult {
  readonly supervisor: RssSummary;
  readonly worker: RssSummary;
  readonly duplicates: number;
  readonly missing: number;
  readonly drainMs: number;
}

/**
 * Queues `n` chaos_noop messages, then drains them with one worker process (`q -p 1`,
 * default threads), sampling the supervisor's and the worker process's RSS; the warm-up
 * ends once a tenth is processed.
 *
 * @example
 * const { worker } = await drain({ broker: "redis", url, namespace, queue }, 20_000);
 */
export async function drain(target: Target, n: number): Promise<DrainResult> {
  const ledger = await Ledger.open();
  const producer = producerBroker(target.broker, target.url, target.namespace);
  let q: QRun | undefined;
  try {
    await enqueueRange(producer, "chaos_noop", target.queue, n);
    q = startTracked({ ...target, processes: 1, threads: 8, detached: true, env: ledger.env });
    const supervisor = RssSampler.start(q.pid);
    await waitReady(q, 1, 30_000);
    const worker = RssSampler.start(childPids(q.pid)[0]!);
    const started = Date.now();
    while ((await ledger.length()) < n / 10) await sleep(50);
    supervisor.markWarm();
    worker.markWarm();
    await ledger.waitForAll(n, 600_000);
    const drainMs = Date.now() - started;
    const summary = await ledger.summary(n);
    return { supervisor: supervisor.stop(), worker: worker.stop(), duplicates: summary.duplicates, missing: summary.missing.length, drainMs };
  } finally {
    if (q) await killGroup(q);
    await producer.close();
    await ledger.close();
  }
}

export interface ProduceResult {
  readonly rss: RssSummary;
  readonly sent: number;
  readonly failed: number;
  readonly ms: number;
}

/**
 * Runs the producer fixture (a Node process of its own) sending `n` chaos_noop messages in
 * `mode` (await | window | fire), sampling its RSS; the warm-up ends at its first tenth.
 *
 * @example
 * const { rss, sent } = await produce({ broker: "redis", url, namespace, queue }, 20_000, "await");
 */
export async function produce(target: Target, n: number, mode: "await" | "window" | "fire", window = 100): Promise<ProduceResult> {
  const child = spawn(process.execPath, [path.join(FIXTURES, "backpressureProducer.cjs")], {
    env: { ...process.env, CHAOS_BROKER: target.broker, CHAOS_URL: target.url, CHAOS_NAMESPACE: target.namespace, CHAOS_QUEUE: target.queue, PRODUCER_N: String(n), PRODUCER_MODE: mode, PRODUCER_WINDOW: String(window) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const rss = RssSampler.start(child.pid!);
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const lines: string[] = [];
  let partial = "";
  let warm = false;
  child.stdout!.on("data", (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split("\n");
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      // fire: every send is made before any resolves, so the burst itself is the warm-up's end.
      if (!warm && (line.startsWith("progress") || (mode === "fire" && line === "ready"))) {
        warm = true;
        rss.markWarm();
      }
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const summary = rss.stop();
  const result = lines.find((l) => l.startsWith("{"));
  if (code !== 0 || !result) throw new Error(`The producer exited with ${code}:\n${stderr}`);
  return { rss: summary, ...(JSON.parse(result) as { sent: number; failed: number; ms: number }) };
}

/**
 * How far a process's RSS may rise above its post-warm-up reading and still count as flat,
 * whatever the number of messages: V8's new space (two 16 MiB semi-spaces) filling before a
 * scavenge, plus 16 MiB of old-space growth before a mark-compact. A leak of 300 bytes per
 * message would pass it at 200,000 messages.
 */
export const FLAT_MIB = 48;

/**
 * What one unresolved `send()` costs when a producer fires them all without awaiting (the
 * message, its encoded copy, and the suspended async frames of the enqueue path: about 7 KiB
 * on Redis and 4 KiB on RabbitMQ when measured), with room: such a producer grows linearly,
 * it does not stay flat.
 */
export const FIRE_KIB_PER_MESSAGE = 12;

/** Asserts `rss` stayed within {@link FLAT_MIB} of its warm reading, at the peak and at the end. */
export function expectFlat(rss: RssSummary): void {
  expect({ peakOverWarm: rss.peak - rss.warm <= FLAT_MIB, endOverWarm: rss.end - rss.warm <= FLAT_MIB, rss }).toMatchObject({ peakOverWarm: true, endOverWarm: true });
}
