import { setTimeout as sleep } from "node:timers/promises";
import { type ChildProcess, fork } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";
import * as amqp from "amqplib";
import { now } from "../clock";
import { rabbitmqVersion, versionOf } from "../harness";
import { median } from "../stats";
import { REDELIVERY_ACTOR, type RabbitRedeliveryMessage, type RabbitRedeliveryTask } from "./RabbitRedeliveryTask";
import { RABBIT_SIDES, type RabbitSide } from "./RabbitTask";

/** Jobs on the queue: the first completes, the second is the one killed, the third waits behind it. */
const JOBS = 3;
/** How long the killed job has been running when the SIGKILL comes. */
const KILL_AFTER_MS = 50;
/** After the fresh worker's last completion, how long it keeps listening for a duplicate. */
const GRACE_MS = 1000;

export interface RabbitRedeliveryOptions {
  url: string;
  repeats: number;
  /** How long each job's handler takes (ms); the kill comes 50 ms into one. */
  jobMs: number;
  /** The child entry and Node flags (the tests run the TypeScript source). */
  launcher: { entry: string; execArgv: string[] };
  timeoutMs: number;
  log: (line: string) => void;
}

/** One measurement: SIGKILL of a worker mid-job → that job's handler starting again in a fresh worker. */
export interface RabbitRedeliveryRun {
  side: RabbitSide;
  redeliveryMs: number;
  /** From the kill until the fresh worker's consumer was started (its fork, load and connect: part of redeliveryMs). */
  workerStartedMs: number;
  killedJob: number;
  /** Handler starts of the killed job in both workers; checked to be exactly 2. */
  killedJobStarts: number;
}

export interface RabbitRedeliveryReport {
  /** The machine and the versions measured. */
  environment: { node: string; platform: string; cpus: number; cpuModel: string; loadavg: number[]; rabbitmqVersion: string; versions: Record<string, string> };
  jobMs: number;
  repeats: number;
  runs: RabbitRedeliveryRun[];
  /** Per side: medians of redeliveryMs and workerStartedMs, and the range of redeliveryMs. */
  summary: { side: RabbitSide; medianMs: number; minMs: number; maxMs: number; workerStartedMs: number }[];
}

/** The compiled child next to this file. */
export function defaultRabbitRedeliveryLauncher(): RabbitRedeliveryOptions["launcher"] {
  return { entry: path.join(__dirname, "rabbitRedeliveryChild.js"), execArgv: [] };
}

/**
 * Redelivery after SIGKILL on RabbitMQ, @q's broker against plain amqplib (both at
 * concurrency 1, prefetch 2, manual acks after the handler): RabbitMQ requeues a
 * connection's unacked messages as soon as the connection is gone, so the time is mostly
 * the fresh worker's start. Per run: a fresh durable queue with three jobs, a worker child
 * killed 50 ms into its second job (in flight by its own report), a fresh worker child, and
 * exact counts: every job completed once, the killed one started twice, the queue empty.
 */
export async function runRabbitRedelivery(options: RabbitRedeliveryOptions): Promise<RabbitRedeliveryReport> {
  const connection = await amqp.connect(options.url);
  const channel = await connection.createConfirmChannel();
  const runs: RabbitRedeliveryRun[] = [];
  try {
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      for (const side of repeat % 2 === 0 ? RABBIT_SIDES : [...RABBIT_SIDES].reverse()) {
        const queue = `bench_redeliver_${randomBytes(4).toString("hex")}`;
        const args = { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": `${queue}.XQ` };
        await channel.assertQueue(queue, { durable: true, arguments: args });
        await channel.assertQueue(`${queue}.DQ`, { durable: true, arguments: args });
        await channel.assertQueue(`${queue}.XQ`, { durable: true, arguments: { "x-message-ttl": 604800000 } });
        try {
          for (let i = 0; i < JOBS; i++) channel.sendToQueue(queue, dramatiqBody(queue, i), { persistent: true });
          await channel.waitForConfirms();
          const run = await measure(side, queue, options);
          const left = (await channel.checkQueue(queue)).messageCount;
          if (left !== 0) throw new Error(`${side} redelivery: ${left} message(s) left in ${queue}`);
          runs.push(run);
          options.log(`redelivery run ${repeat + 1}/${options.repeats} ${side.padEnd(7)} ${(run.redeliveryMs / 1000).toFixed(3)} s (fresh worker started after ${(run.workerStartedMs / 1000).toFixed(3)} s)`);
        } finally {
          for (const name of [queue, `${queue}.DQ`, `${queue}.XQ`]) await channel.deleteQueue(name);
        }
      }
    }
  } finally {
    await connection.close();
  }
  const summary = RABBIT_SIDES.map((side) => {
    const mine = runs.filter((r) => r.side === side);
    const ms = mine.map((r) => r.redeliveryMs);
    return { side, medianMs: median(ms), minMs: Math.min(...ms), maxMs: Math.max(...ms), workerStartedMs: median(mine.map((r) => r.workerStartedMs)) };
  });
  const environment = {
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    loadavg: os.loadavg(),
    rabbitmqVersion: rabbitmqVersion(),
    versions: Object.fromEntries(["@q/core", "@q/broker-rabbitmq", "amqplib"].map((p) => [p, versionOf(p)])),
  };
  return { environment, jobMs: options.jobMs, repeats: options.repeats, runs, summary };
}

/** The report as a table. */
export function formatRabbitRedeliveryReport(report: RabbitRedeliveryReport): string {
  const env = report.environment;
  const lines = [
    `Node ${env.node} · ${env.platform} · ${env.cpus}× ${env.cpuModel} · RabbitMQ ${env.rabbitmqVersion} · ${Object.entries(env.versions).map(([k, v]) => `${k} ${v}`).join(", ")} · load ${env.loadavg.map((x) => x.toFixed(2)).join(" ")}`,
    `RabbitMQ redelivery after SIGKILL (${report.jobMs} ms jobs, concurrency 1, prefetch 2; medians of ${report.repeats}): kill → the killed job starting again in a fresh worker`,
    "  side        redelivery (s)      min      max   fresh worker started (s)",
  ];
  for (const s of report.summary) {
    const sec = (ms: number) => (ms / 1000).toFixed(3);
    lines.push(`  ${(s.side === "q" ? "@q" : "amqplib").padEnd(10)} ${sec(s.medianMs).padStart(15)} ${sec(s.minMs).padStart(8)} ${sec(s.maxMs).padStart(8)} ${sec(s.workerStartedMs).padStart(26)}`);
  }
  return lines.join("\n");
}

async function measure(side: RabbitSide, queue: string, options: RabbitRedeliveryOptions): Promise<RabbitRedeliveryRun> {
  const what = `${side} redelivery`;
  const task: RabbitRedeliveryTask = { side, url: options.url, queue, n: JOBS, jobMs: options.jobMs, graceMs: GRACE_MS };
  const doomed = new WorkerChild(task, options, `${side} worker to be killed`);
  let fresh: WorkerChild | undefined;
  try {
    await doomed.go(options.timeoutMs);
    // A job in flight by the child's own word (started, not done), after at least one completed.
    const victim = await doomed.waitFor((jobs) => (jobs.some((e) => e.phase === "done") ? jobs.find((e) => e.phase === "start" && !doomed.done.has(e.i)) : undefined), options.timeoutMs);
    await sleep(Math.max(0, victim.t + KILL_AFTER_MS - now()));
    if (doomed.done.has(victim.i)) throw new Error(`${what}: job ${victim.i} completed before the kill`);
    const killedAt = now();
    await doomed.kill();
    if (doomed.done.has(victim.i)) throw new Error(`${what}: job ${victim.i} completed before the kill took effect`);

    fresh = new WorkerChild({ ...task, n: JOBS - doomed.done.size }, options, `${side} fresh worker`);
    const workerStarted = await fresh.go(options.timeoutMs);
    const again = await fresh.waitFor((jobs) => jobs.find((e) => e.phase === "start" && e.i === victim.i), options.timeoutMs);
    const result = await fresh.result(options.timeoutMs);

    const starts = [...doomed.starts, ...result.starts];
    for (let i = 0; i < JOBS; i++) {
      const count = starts.filter((s) => s === i).length;
      const expected = i === victim.i ? 2 : 1;
      if (count !== expected) throw new Error(`${what}: job ${i} started ${count} time(s), expected ${expected} (starts: ${starts.join(",")})`);
    }
    const doneAfter = [...fresh.done];
    if (doneAfter.some((i) => doomed.done.has(i)) || doomed.done.size + doneAfter.length !== JOBS || result.completed !== doneAfter.length) {
      throw new Error(`${what}: completions before the kill [${[...doomed.done].join(",")}], after [${doneAfter.join(",")}]; expected each of ${JOBS} jobs once`);
    }
    return { side, redeliveryMs: again.t - killedAt, workerStartedMs: workerStarted - killedAt, killedJob: victim.i, killedJobStarts: starts.filter((s) => s === victim.i).length };
  } finally {
    await doomed.kill();
    await fresh?.kill();
  }
}

type JobMessage = Extract<RabbitRedeliveryMessage, { type: "job" }>;

/** The parent's side of one worker child: its messages, kept in order, and waits on them. */
class WorkerChild {
  private readonly proc: ChildProcess;
  private readonly messages: RabbitRedeliveryMessage[] = [];
  private readonly exited: Promise<void>;
  private failure: Error | undefined;
  private wake: () => void = () => undefined;

  constructor(task: RabbitRedeliveryTask, options: RabbitRedeliveryOptions, private readonly label: string) {
    this.proc = fork(options.launcher.entry, [JSON.stringify(task)], { execArgv: options.launcher.execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"], serialization: "json" });
    this.proc.on("message", (message: RabbitRedeliveryMessage) => {
      if (message.type === "error") this.failure ??= new Error(`${label}: ${message.message}`);
      this.messages.push(message);
      this.wake();
    });
    this.exited = new Promise((resolve) =>
      this.proc.once("exit", (code, signal) => {
        if (code !== 0 && signal !== "SIGKILL") this.failure ??= new Error(`${label} exited (code ${code}, signal ${signal})`);
        resolve();
        this.wake();
      }),
    );
  }

  get jobs(): JobMessage[] {
    return this.messages.filter((m): m is JobMessage => m.type === "job");
  }
  get starts(): number[] {
    return this.jobs.filter((e) => e.phase === "start").map((e) => e.i);
  }
  get done(): Set<number> {
    return new Set(this.jobs.filter((e) => e.phase === "done").map((e) => e.i));
  }

  /** Waits until it is ready, tells it to start, and resolves with the time (`now()`) its consumer was started. */
  async go(timeoutMs: number): Promise<number> {
    await this.until(() => (this.messages.some((m) => m.type === "ready") ? true : undefined), timeoutMs, "ready");
    this.proc.send({ type: "go" });
    const started = await this.until(() => this.messages.find((m) => m.type === "started"), timeoutMs, "started");
    return started.t;
  }

  waitFor(check: (jobs: JobMessage[]) => JobMessage | undefined, timeoutMs: number): Promise<JobMessage> {
    return this.until(() => check(this.jobs), timeoutMs, "job event");
  }

  result(timeoutMs: number): Promise<Extract<RabbitRedeliveryMessage, { type: "result" }>> {
    return this.until(() => this.messages.find((m) => m.type === "result"), timeoutMs, "result");
  }

  /** SIGKILLs it (if still running) and waits for its exit. */
  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
    await this.exited;
  }

  private async until<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.failure) throw this.failure;
      const value = check();
      if (value !== undefined) return value;
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) throw new Error(`${this.label} exited before "${what}"`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.label}: no "${what}" within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

/** A Dramatiq message body for job `i` (what @q's worker decodes; the plain consumer reads `args[0].i`). */
function dramatiqBody(queue: string, i: number): Buffer {
  return Buffer.from(
    JSON.stringify({ queue_name: queue, actor_name: REDELIVERY_ACTOR, args: [{ i }], kwargs: {}, options: {}, message_id: randomUUID(), message_timestamp: Date.now() }),
  );
}
