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
  /** Drain concurrencies (@q worker concurrency; prefetch 2 × this on both sides): one drain per value. */
  concurrencies: readonly number[];
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
  /** Drains: the consumer's concurrency (prefetch 2 × this). */
  concurrency?: number;
  elapsedMs: number;
  /** Messages per second. */
  rate: number;
  /** CPU (user + system) of the measuring child while timed. */
  cpuMs: number;
  /** Drains: the consumer's resident set (MB) once connected, before the clock, and when the N-th message was acked. */
  rssIdleMb?: number;
  rssEndMb?: number;
}

/** Rates (msg/s) of one side in one scenario: median and range over the runs. */
export interface RabbitRates {
  median: number;
  min: number;
  max: number;
  /** Drains: median RSS (MB) once connected and at the end. */
  rssIdleMb?: number;
  rssEndMb?: number;
}

/** Medians per scenario (drains per concurrency) and confirm mode, and @q ÷ the plain amqplib loop. */
export interface RabbitSummary {
  scenario: RabbitScenario;
  confirm: boolean;
  /** Drains only. */
  concurrency?: number;
  q: RabbitRates;
  amqplib: RabbitRates;
  /** Median of @q ÷ median of amqplib. */
  ratio: number;
}

export interface RabbitBenchReport {
  n: number;
  concurrencies: readonly number[];
  repeats: number;
  runs: RabbitRun[];
  summary: RabbitSummary[];
}

/** The compiled child next to this file. */
export function defaultRabbitLauncher(): RabbitBenchOptions["launcher"] {
  return { entry: path.join(__dirname, "rabbitChild.js"), execArgv: [] };
}

/**
 * For each drain concurrency: publishes N messages to a fresh durable queue (declared
 * with Dramatiq's arguments) and drains them, for @q and for a plain amqplib loop, each
 * measurement in its own child process, strictly one at a time, alternating which side
 * goes first. Every fill is also a publish measurement. Checks that exactly N messages
 * were queued and that none were left after the drain.
 */
export async function runRabbitBench(options: RabbitBenchOptions): Promise<RabbitBenchReport> {
  const connection = await amqp.connect(options.url);
  const channel = await connection.createChannel();
  const runs: RabbitRun[] = [];
  try {
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      for (const confirm of options.confirmModes) {
        const sides = repeat % 2 === 0 ? RABBIT_SIDES : [...RABBIT_SIDES].reverse();
        for (const concurrency of options.concurrencies) {
          for (const side of sides) {
            const queue = `bench_rabbit_${randomBytes(4).toString("hex")}`;
            const args = { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": `${queue}.XQ` };
            await channel.assertQueue(queue, { durable: true, arguments: args });
            await channel.assertQueue(`${queue}.DQ`, { durable: true, arguments: args });
            await channel.assertQueue(`${queue}.XQ`, { durable: true, arguments: { "x-message-ttl": 604800000 } });
            try {
              const task: RabbitTask = { role: "publish", side, url: options.url, queue, n: options.n, confirm, concurrency };
              const published = await runChild(task, options);
              const queued = await settledCount(channel, queue, options.n);
              if (queued !== options.n) throw new Error(`${side} publish: ${queued} messages queued, expected ${options.n}`);
              const publishRun = record("publish", side, confirm, published, options.n);
              const drained = await runChild({ ...task, role: "drain" }, options);
              if (drained.handled !== options.n) throw new Error(`${side} drain handled ${drained.handled}, expected ${options.n}`);
              const left = await settledCount(channel, queue, 0);
              if (left !== 0) throw new Error(`${side} drain left ${left} messages`);
              const drainRun = { ...record("drain", side, confirm, drained, options.n), concurrency, rssIdleMb: drained.rssIdleMb, rssEndMb: drained.rssEndMb };
              runs.push(publishRun, drainRun);
              options.log(
                `run ${repeat + 1}/${options.repeats} confirms ${confirm ? "on " : "off"} ${side.padEnd(7)} publish ${fmt(publishRun.rate)}/s  ` +
                  `drain c=${concurrency} ${fmt(drainRun.rate)}/s  RSS ${mb(drainRun.rssIdleMb)} → ${mb(drainRun.rssEndMb)} MB`,
              );
            } finally {
              for (const name of [queue, `${queue}.DQ`, `${queue}.XQ`]) await channel.deleteQueue(name);
            }
          }
        }
      }
    }
  } finally {
    await connection.close();
  }
  const summary: RabbitSummary[] = [];
  const variants: { scenario: RabbitScenario; concurrency?: number }[] = [{ scenario: "publish" }, ...options.concurrencies.map((c) => ({ scenario: "drain" as const, concurrency: c }))];
  for (const { scenario, concurrency } of variants) {
    for (const confirm of options.confirmModes) {
      const rates = (side: RabbitSide) =>
        rabbitRates(runs.filter((r) => r.scenario === scenario && r.side === side && r.confirm === confirm && r.concurrency === concurrency));
      const q = rates("q");
      const plain = rates("amqplib");
      summary.push({ scenario, confirm, ...(concurrency === undefined ? {} : { concurrency }), q, amqplib: plain, ratio: q.median / plain.median });
    }
  }
  return { n: options.n, concurrencies: options.concurrencies, repeats: options.repeats, runs, summary };
}

/** Median and range of some runs' rates, with the drains' median RSS. */
function rabbitRates(runs: readonly RabbitRun[]): RabbitRates {
  const rates = runs.map((r) => r.rate);
  const out: RabbitRates = { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) };
  const idle = runs.flatMap((r) => (r.rssIdleMb === undefined ? [] : [r.rssIdleMb]));
  const end = runs.flatMap((r) => (r.rssEndMb === undefined ? [] : [r.rssEndMb]));
  if (idle.length) out.rssIdleMb = median(idle);
  if (end.length) out.rssEndMb = median(end);
  return out;
}

/** The report as a table: rates as median (min–max), the drains' RSS, @q ÷ amqplib of the medians. */
export function formatRabbitReport(report: RabbitBenchReport): string {
  const rows: string[][] = [["scenario (msg/s)", "confirms", "@q", "amqplib", "@q ÷ amqplib", "RSS idle → end (MB) @q", "amqplib"]];
  for (const s of report.summary) {
    const rss = (r: RabbitRates) => (r.rssIdleMb === undefined ? "-" : `${mb(r.rssIdleMb)} → ${mb(r.rssEndMb)}`);
    rows.push([
      s.scenario === "drain" ? `drain c=${s.concurrency}` : s.scenario,
      s.confirm ? "on" : "off",
      rateCell(s.q),
      rateCell(s.amqplib),
      `${(s.ratio * 100).toFixed(0)}%`,
      rss(s.q),
      rss(s.amqplib),
    ]);
  }
  const publishes = report.repeats * report.concurrencies.length;
  return [
    `RabbitMQ: @q vs a plain amqplib loop (the ceiling), N = ${report.n}, drain concurrencies ${report.concurrencies.join(", ")} (prefetch 2 × each); ` +
      `median (min–max) of ${report.repeats} run(s) per drain, of ${publishes} publish(es) (one fills each drain)`,
    ...table(rows),
  ].join("\n");
}

function rateCell(r: RabbitRates): string {
  return `${fmt(r.median)} (${fmt(r.min)}–${fmt(r.max)})`;
}

function mb(x: number | undefined): string {
  return x === undefined ? "-" : x.toFixed(0);
}

/** Left-aligns the first two columns and right-aligns the rest; a rule under the header. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  const line = (r: string[]) => `  ${r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ")}`;
  return [line(rows[0]!), `  ${widths.map((w) => "-".repeat(w)).join("  ")}`, ...rows.slice(1).map(line)];
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
type ChildResult = Extract<RabbitChildMessage, { type: "result" }>;

function runChild(task: RabbitTask, options: RabbitBenchOptions): Promise<ChildResult> {
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
    let result: ChildResult | undefined;
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
