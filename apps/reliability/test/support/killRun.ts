import { setTimeout as sleep } from "node:timers/promises";
import { type QRun, waitReady } from "@q/test-support/q-process";
import { killGroup } from "./chaosQ";
import { childPids, waitForChildren } from "./killer";
import { Ledger, type LedgerSummary } from "./ledger";
import type { LedgerEntry } from "./ledger";
import { type Redelivery, StartLedger, enqueueRange, inFlightIn, producerBroker, redelivery, startTracked } from "./tracked";

export interface KillRunOptions {
  readonly broker: "redis" | "rabbitmq";
  readonly url: string;
  readonly namespace?: string;
  readonly queue: string;
  readonly messages: number;
  /** SIGKILLs of one worker process; then one of the whole supervisor group. */
  readonly kills: number;
  readonly processes: number;
  readonly threads: number;
  /** Each message's work (chaos_tracked's CHAOS_WORK_MS). */
  readonly workMs: number;
  /** How long redelivery may take after a kill. */
  readonly redeliveryTimeout: number;
  readonly env?: NodeJS.ProcessEnv;
}

export interface KillRunResult {
  readonly summary: LedgerSummary;
  /** Per child kill, then the group kill last. */
  readonly redeliveries: Redelivery[];
  /** Every pid that was SIGKILLed (worker processes). */
  readonly killed: number[];
  /** Messages that ran more than once without one of their runs being in a killed process. */
  readonly unexplainedDuplicates: number[];
  readonly wallMs: number;
  /** The brokers' "Recovered N message(s) of dead workers" lines (Redis), with when the test saw them. */
  /** When each kill was, from the start of the run. */
  readonly killsAtMs: number[];
  readonly recovered: { atMs: number; line: string }[];
}

/**
 * Sends `messages` chaos_tracked messages to `q -p processes -t threads`, SIGKILLs a random
 * worker process `kills` times (at random points of the run, the supervisor restarts it),
 * then the whole supervisor group, starts a fresh `q`, and waits for every message. Measures
 * each kill's redelivery (see {@link redelivery}).
 *
 * @example
 * const result = await killRun({ broker: "redis", url, namespace, queue, messages: 2000, kills: 2, ... });
 */
export async function killRun(o: KillRunOptions): Promise<KillRunResult> {
  const started = Date.now();
  const ledger = await Ledger.open();
  const starts = new StartLedger(ledger.key);
  const producer = producerBroker(o.broker, o.url, o.namespace);
  const env = { ...ledger.env, CHAOS_WORK_MS: String(o.workMs), ...o.env };
  const spawn = () => startTracked({ broker: o.broker, url: o.url, namespace: o.namespace, queue: o.queue, processes: o.processes, threads: o.threads, env, detached: true });
  const recovered: { atMs: number; line: string }[] = [];
  const watch = (run: QRun) => run.proc.stderr!.on("data", (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n")) if (/Recovered \d+ message/.test(line)) recovered.push({ atMs: Date.now() - started, line: line.slice(0, 160) });
  });
  let q: QRun | undefined = spawn();
  watch(q);
  const measuring: Promise<Redelivery>[] = [];
  const killed: number[] = [];
  const kills: number[] = [];
  try {
    await waitReady(q, o.processes, 30_000);
    await enqueueRange(producer, "chaos_tracked", o.queue, o.messages);
    // Kill k lands at a random point of the k-th of kills + 2 equal parts of the run (the last part is the fresh q's).
    const parts = o.kills + 2;
    for (let k = 0; k <= o.kills; k++) {
      const at = Math.floor(o.messages * ((k + 0.2 + 0.6 * Math.random()) / parts));
      while ((await ledger.length()) < at) await sleep(20);
      const children = childPids(q.pid);
      if (k < o.kills) {
        const victim = await busyChild(children, starts, ledger);
        const killedAt = Date.now();
        kills.push(killedAt - started);
        process.kill(victim, "SIGKILL");
        killed.push(victim);
        measuring.push(redelivery(starts, () => ledger.entries(), [victim], killedAt, o.redeliveryTimeout));
        await waitForChildren(q.pid, o.processes, [victim]);
        await waitReady(q, o.processes + k + 1, 30_000);
      } else {
        const killedAt = Date.now();
        kills.push(killedAt - started);
        process.kill(-q.pid, "SIGKILL");
        killed.push(...children);
        await q.exited;
        measuring.push(redelivery(starts, () => ledger.entries(), children, killedAt, o.redeliveryTimeout));
        q = spawn();
        watch(q);
        await waitReady(q, o.processes, 30_000);
      }
    }
    const redeliveries = await Promise.all(measuring);
    await ledger.waitForAll(o.messages, 60_000 + o.redeliveryTimeout);
    // Redelivered runs of messages that had already finished land after the last first run: wait until nothing moves.
    for (let last = -1; ; ) {
      const length = await ledger.length();
      if (length === last) break;
      last = length;
      await sleep(1500);
    }
    const summary = await ledger.summary(o.messages);
    const dead = new Set(killed);
    const done = await ledger.entries();
    const unexplainedDuplicates = summary.duplicated.filter((i) => !done.some((e) => e.i === i && dead.has(e.pid)));
    return { summary, redeliveries, killed, unexplainedDuplicates, wallMs: Date.now() - started, recovered, killsAtMs: kills };
  } finally {
    if (q) await killGroup(q);
    await producer.close();
    await starts.close();
    await ledger.close();
  }
}

/**
 * A random one of `children` that is running a message right now (per the ledgers), so that
 * its kill tests redelivery. A process that has just been started (the replacement of an
 * earlier victim) may hold nothing yet: the CI run once killed such a one, which proved
 * nothing. Waits up to 3 s for one, then takes any.
 */
async function busyChild(children: readonly number[], starts: StartLedger, ledger: { entries(): Promise<LedgerEntry[]> }): Promise<number> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const [started, done] = await Promise.all([starts.entries(), ledger.entries()]);
    const busy = children.filter((pid) => inFlightIn([pid], started, done).length > 0);
    if (busy.length > 0 || Date.now() >= deadline) {
      const pool = busy.length > 0 ? busy : children;
      return pool[Math.floor(Math.random() * pool.length)]!;
    }
    await sleep(20);
  }
}
