import { setTimeout as sleep } from "node:timers/promises";
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import * as amqp from "amqplib";
import { median } from "../stats";
import { RABBIT_SIDES, type RabbitChildMessage, type RabbitSide, type RabbitTask } from "./RabbitTask";

/** How to run the RabbitMQ benchmark. */
export interface RabbitBenchOptions {
  url: string;
  /** Messages per publish and per drain. */
  n: number;
  /** Drain concurrency (@q worker concurrency; prefetch 2 × this on both sides). */
  concurrency: number;
  repeats: number;
  /** Confirm modes to measure (false: no publisher confirms, as Dramatiq's default). */
  confirmModes: readonly boolean[];
  /** The child entry and Node flags (the tests run the TypeScript source). */
  launcher: { entry: string; execArgv: string[] };
  timeoutMs: number;
  log: (line: string) => void;
}

export type RabbitScenario = "publish" | "drain";

/** One measurement. */
export interface RabbitRun {
  scenario: RabbitScenario;
  side: RabbitSide;
  confirm: boolean;
  elapsedMs: number;
  /** Messages per second. */
  rate: number;
  /** CPU (user + system) of the measuring child while timed. */
  cpuMs: number;
}

/** Medians per scenario and confirm mode, and @q ÷ the plain amqplib loop. */
export interface RabbitSummary {
  scenario: RabbitScenario;
  confirm: boolean;
  q: number;
  amqplib: number;
  ratio: number;
}

export interface RabbitBenchReport {
  n: number;
  concurrency: number;
  repeats: number;
  runs: RabbitRun[];
  summary: RabbitSummary[];
}

/** The compiled child next to this file. */
export function defaultRabbitLauncher(): RabbitBenchOptions["launcher"] {
  return { entry: path.join(__dirname, "rabbitChild.js"), execArgv: [] };
}

/**
 * Publishes N messages to a fresh durable queue (declared with Dramatiq's arguments)
 * and drains them, for @q and for a plain amqplib loop, each measurement in its own
 * child process, strictly one at a time, alternating which side goes first. Checks
 * that exactly N messages were queued and that none were left after the drain.
 */
export async function runRabbitBench(options: RabbitBenchOptions): Promise<RabbitBenchReport> {
  const connection = await amqp.connect(options.url);
  const channel = await connection.createChannel();
  const runs: RabbitRun[] = [];
  try {
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      for (const confirm of options.confirmModes) {
        const sides = repeat % 2 === 0 ? RABBIT_SIDES : [...RABBIT_SIDES].reverse();
        for (const side of sides) {
          const queue = `bench_rabbit_${randomBytes(4).toString("hex")}`;
          const args = { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": `${queue}.XQ` };
          await channel.assertQueue(queue, { durable: true, arguments: args });
          await channel.assertQueue(`${queue}.DQ`, { durable: true, arguments: args });
          await channel.assertQueue(`${queue}.XQ`, { durable: true, arguments: { "x-message-ttl": 604800000 } });
          try {
            const task: RabbitTask = { role: "publish", side, url: options.url, queue, n: options.n, confirm, concurrency: options.concurrency };
            const published = await runChild(task, options);
            const queued = await settledCount(channel, queue, options.n);
            if (queued !== options.n) throw new Error(`${side} publish: ${queued} messages queued, expected ${options.n}`);
            runs.push(record("publish", side, confirm, published, options.n));
            const drained = await runChild({ ...task, role: "drain" }, options);
            if (drained.handled !== options.n) throw new Error(`${side} drain handled ${drained.handled}, expected ${options.n}`);
            const left = await settledCount(channel, queue, 0);
            if (left !== 0) throw new Error(`${side} drain left ${left} messages`);
            runs.push(record("drain", side, confirm, drained, options.n));
            const last = runs.slice(-2);
            options.log(
              `run ${repeat + 1}/${options.repeats} confirms ${confirm ? "on " : "off"} ${side.padEnd(7)} publish ${fmt(last[0]!.rate)}/s  drain ${fmt(last[1]!.rate)}/s`,
            );
          } finally {
            for (const name of [queue, `${queue}.DQ`, `${queue}.XQ`]) await channel.deleteQueue(name);
          }
        }
      }
    }
  } finally {
    await connection.close();
  }
  const summary: RabbitSummary[] = [];
  for (const scenario of ["publish", "drain"] as const) {
    for (const confirm of options.confirmModes) {
      const rate = (side: RabbitSide) => median(runs.filter((r) => r.scenario === scenario && r.side === side && r.confirm === confirm).map((r) => r.rate));
      const q = rate("q");
      const plain = rate("amqplib");
      summary.push({ scenario, confirm, q, amqplib: plain, ratio: q / plain });
    }
  }
  return { n: options.n, concurrency: options.concurrency, repeats: options.repeats, runs, summary };
}

/** The report as a table. */
export function formatRabbitReport(report: RabbitBenchReport): string {
  const lines = [
    `RabbitMQ: @q vs a plain amqplib loop (the ceiling), N = ${report.n}, concurrency ${report.concurrency}, medians of ${report.repeats}`,
    "  scenario (msg/s)          confirms       @q    amqplib   @q ÷ amqplib",
  ];
  for (const s of report.summary) {
    lines.push(
      `  ${s.scenario.padEnd(25)} ${(s.confirm ? "on" : "off").padEnd(8)} ${fmt(s.q).padStart(9)} ${fmt(s.amqplib).padStart(10)} ${`${(s.ratio * 100).toFixed(0)}%`.padStart(14)}`,
    );
  }
  return lines.join("\n");
}

function record(scenario: RabbitScenario, side: RabbitSide, confirm: boolean, result: { elapsedMs: number; cpuMs: number }, n: number): RabbitRun {
  return { scenario, side, confirm, elapsedMs: result.elapsedMs, rate: (n / result.elapsedMs) * 1000, cpuMs: result.cpuMs };
}

/** The queue's ready count once it reached `expected` or stopped changing for 500 ms (routing is asynchronous in RabbitMQ). */
async function settledCount(channel: amqp.Channel, queue: string, expected: number): Promise<number> {
  let last = -1;
  let since = Date.now();
  for (;;) {
    const count = (await channel.checkQueue(queue)).messageCount;
    if (count === expected) return count;
    if (count !== last) {
      last = count;
      since = Date.now();
    } else if (Date.now() - since >= 500) {
      return count;
    }
    await sleep(20);
  }
}

function fmt(rate: number): string {
  return Math.round(rate).toLocaleString("en-US");
}

/** Forks a child for `task`, starts the clock-side "go" once it is ready, returns its result. */
function runChild(task: RabbitTask, options: RabbitBenchOptions): Promise<{ elapsedMs: number; cpuMs: number; handled: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(options.launcher.entry, [JSON.stringify(task)], {
      execArgv: options.launcher.execArgv,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "json",
    });
    const label = `${task.side} ${task.role}`;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${label}: no result within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    let result: { elapsedMs: number; cpuMs: number; handled: number } | undefined;
    child.on("message", (message: RabbitChildMessage) => {
      if (message.type === "ready") child.send({ type: "go" });
      else if (message.type === "result") result = message;
      else if (message.type === "error") {
        clearTimeout(timer);
        reject(new Error(`${label}: ${message.message}`));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (result) resolve(result);
      else reject(new Error(`${label} exited with code ${code} before reporting`));
    });
  });
}
