import Redis from "ioredis";
import { RabbitmqBroker } from "@q/broker-rabbitmq";
import { RedisBroker } from "@q/broker-redis";
import { type Broker, actor } from "@q/core";
import { REDIS_URL } from "@q/test-support/redis";
import type { QRun } from "@q/test-support/q-process";
import { type ChaosQOptions, startQ } from "./chaosQ";
import type { LedgerEntry } from "./ledger";

/**
 * Runs `q broker.cjs trackedActors.cjs` (chaos_tracked / chaos_long / chaos_noop, which
 * also write "started" entries) with startQ's options.
 *
 * @example
 * const q = startTracked({ broker: "redis", url, namespace, queue, env: ledger.env, detached: true });
 */
export function startTracked(options: ChaosQOptions): QRun {
  return startQ({ ...options, modules: ["trackedActors.cjs"] });
}

/** The "started" entries the tracked actors wrote next to a ledger (`${key}:started`). */
export class StartLedger {
  private readonly redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  constructor(readonly ledgerKey: string) {}

  async entries(): Promise<LedgerEntry[]> {
    return parse(await this.redis.lrange(`${this.ledgerKey}:started`, 0, -1));
  }

  async close(): Promise<void> {
    await this.redis.del(`${this.ledgerKey}:started`).catch(() => undefined);
    this.redis.disconnect();
  }
}

export function parse(lines: readonly string[]): LedgerEntry[] {
  return lines.map((line) => {
    const [i, pid, at] = line.split(":").map(Number);
    return { i: i!, pid: pid!, at: at! };
  });
}

/** The messages that were running in `killed` processes when they died: started there, never done there. */
export function inFlightIn(killed: readonly number[], started: readonly LedgerEntry[], done: readonly LedgerEntry[]): number[] {
  const dead = new Set(killed);
  const finished = new Set(done.filter((e) => dead.has(e.pid)).map((e) => e.i));
  return [...new Set(started.filter((e) => dead.has(e.pid) && !finished.has(e.i)).map((e) => e.i))];
}

export interface Redelivery {
  /** Messages that were running in the killed processes. */
  readonly inFlight: number;
  /** From the kill to the first of them starting again elsewhere (ms). */
  readonly firstMs: number;
  /** From the kill to the last of them starting again (ms). */
  readonly allMs: number;
}

/**
 * Waits until every message that was running in `killed` (killed at `killedAt`) has started
 * again in another process; how long that took.
 */
export async function redelivery(starts: StartLedger, done: () => Promise<LedgerEntry[]>, killed: readonly number[], killedAt: number, timeout: number): Promise<Redelivery> {
  // What the killed processes had written by now is all they ever will (a write already on the wire lands within this pause).
  await new Promise((resolve) => setTimeout(resolve, 100));
  const running = inFlightIn(killed, await starts.entries(), await done());
  const dead = new Set(killed);
  const deadline = Date.now() + timeout;
  for (;;) {
    const again = new Map<number, number>();
    for (const e of await starts.entries()) if (!dead.has(e.pid) && e.at >= killedAt && running.includes(e.i) && !again.has(e.i)) again.set(e.i, e.at);
    if (again.size === running.length) {
      const times = [...again.values()].map((at) => at - killedAt);
      return { inFlight: running.length, firstMs: times.length ? Math.min(...times) : NaN, allMs: times.length ? Math.max(...times) : NaN };
    }
    if (Date.now() > deadline) throw new Error(`${running.length - again.size} of the ${running.length} messages running in killed processes ${killed.join(", ")} did not start again within ${timeout} ms.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A producer broker in the test process for the broker under test. */
export function producerBroker(kind: "redis" | "rabbitmq", url: string, namespace?: string): Broker {
  return kind === "rabbitmq" ? new RabbitmqBroker({ url }) : new RedisBroker({ url, namespace });
}

/** Enqueues `actorName(i)` for i in 0..n-1 on `queueName`, 1,000 a call. */
export async function enqueueRange(broker: Broker, actorName: string, queueName: string, n: number): Promise<void> {
  const job = actor(async (_i: number) => undefined, { broker, actorName, queueName, maxRetries: 0 });
  for (let from = 0; from < n; from += 1000) {
    const messages = [];
    for (let i = from; i < Math.min(n, from + 1000); i++) messages.push(job.message(i));
    await broker.enqueueMany(messages);
  }
}
