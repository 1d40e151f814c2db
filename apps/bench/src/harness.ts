/**
 * The benchmark harness: runs every scenario for every library, one measurement at a
 * time, each in fresh child processes on a fresh key prefix, and returns a report.
 * The harness process itself only orchestrates (IPC) and verifies/cleans up with its
 * own Redis connection between measurements.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Child, type ChildLauncher, defaultLauncher } from "./childProcess";
import { type RedeliveryRun, measureRedelivery } from "./measureRedelivery";
import { type BulkResult, DEFAULT_LIBS, type DrainResult, LIBS, LIB_LABEL, type LatencyProducerResult, type LatencyWorkerResult, type Lib, REDELIVERING_LIBS, type Target, type Window } from "./protocol";
import { RedisAdmin } from "./redisAdmin";
import { redeliverySetting } from "./redeliverySetting";
import { type LatencyStats, latencyStats, median, medianLatency } from "./stats";

export const SCENARIOS = ["enqueue", "drain", "drain-io", "latency", "latency-fresh", "redelivery"] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface BenchOptions {
  redisUrl: string;
  /** Jobs per bulk enqueue and per drain. */
  n: number;
  /** Worker concurrencies of the drain scenario: one drain per value. */
  concurrencies: readonly number[];
  /** Worker concurrency of the I/O-bound drain ("drain-io"), whose handler awaits `ioDelayMs`. */
  ioConcurrency: number;
  /** How long each job of the I/O-bound drain awaits (a timer standing in for a network call). */
  ioDelayMs: number;
  /** Measured latency samples per run (after the warm-up ones). */
  latencySamples: number;
  /** Messages sent first in each (warm) latency run and left out of the statistics. */
  latencyWarmup: number;
  /** The same for "latency-fresh": a few, so the samples come from a worker that has just started. */
  latencyFreshWarmup: number;
  /** Milliseconds the latency producer waits after each send before the next. */
  latencyGapMs: number;
  /** Worker concurrency in the latency scenario. */
  latencyConcurrency: number;
  /** Runs per scenario and library; the report gives the median. */
  repeats: number;
  /** Runs per library of "redelivery" (each waits out the library's recovery timeout). */
  redeliveryRepeats: number;
  /** How long each job of the redelivery scenario takes (ms); the kill comes 50 ms into one. */
  redeliveryJobMs: number;
  /**
   * Sets every library's recovery setting (see ./redeliverySetting.ts) to this many ms;
   * undefined: each library's default.
   */
  redeliveryTimeoutMs?: number;
  libs: readonly Lib[];
  scenarios: readonly Scenario[];
  /** How to start child processes (default: dist/child.js). */
  launcher: ChildLauncher;
  /**
   * When set, @q's measured child runs with `--cpu-prof` and writes its profile here: the
   * producer in "enqueue", the worker in "drain" and "latency".
   */
  profileDir?: string;
  /**
   * A run during which other processes used more than NOISY_PCT of the machine is measured
   * again, up to this many times (then kept, and flagged in the report).
   */
  noisyRetries: number;
  /** Before each measurement, wait up to this long for the machine to be quiet; 0: don't. */
  quietWaitMs: number;
  /** Upper bound for any one step of a child (connect, measure, close). */
  timeoutMs: number;
  /** Progress lines (default: stderr). */
  log: (line: string) => void;
}

/** The sizes the issue asks for (`pnpm --filter @q/bench bench`). */
export const FULL_SIZES = {
  n: 20_000,
  concurrencies: [1, 10, 100],
  ioConcurrency: 250,
  ioDelayMs: 10,
  latencySamples: 500,
  // A long-running worker's steady state: the first messages of a fresh process run cold
  // (interpreted code, the JIT compiling on the other core). `--latency-warmup 20` shows that.
  latencyWarmup: 2000,
  // "latency-fresh": the first messages of a fresh worker process.
  latencyFreshWarmup: 20,
  latencyGapMs: 3,
  latencyConcurrency: 10,
  repeats: 5,
  // Each repeat waits out the defaults (@q 60 s, BullMQ 60 s, bee-queue 10 s here): ~2.5 min.
  // The timers decide the number, so one run is the default; --redelivery-repeats for a range.
  redeliveryRepeats: 1,
  redeliveryJobMs: 200,
} as const;

export function benchOptions(overrides: Partial<BenchOptions> = {}): BenchOptions {
  return {
    redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    ...FULL_SIZES,
    libs: DEFAULT_LIBS,
    scenarios: SCENARIOS,
    launcher: defaultLauncher(),
    noisyRetries: 2,
    quietWaitMs: 120_000,
    timeoutMs: 300_000,
    log: (line) => process.stderr.write(`[bench] ${line}\n`),
    ...overrides,
  };
}

export interface ThroughputRun {
  jobs: number;
  elapsedMs: number;
  jobsPerSec: number;
  /** CPU time of the measured child process (producer or worker) during the run. */
  clientCpuMs: number;
  /** CPU time of redis-server during the run (includes anything else using this Redis). */
  redisCpuMs: number;
  /** CPU used by other processes during the run, in % of the whole machine: interference. */
  otherCpuPct: number;
  /** Drains only: the worker's resident set (MB) once connected, before "go", and when the N-th job completed. */
  rssIdleMb?: number;
  rssEndMb?: number;
}
export interface ThroughputResult {
  runs: ThroughputRun[];
  /** Median jobs/s over the runs. */
  median: number;
}
export interface LatencyRun extends LatencyStats {
  /** Estimated clock offset worker − producer (ms); should be ~0 on one machine. */
  clockSkewMs: number;
  /** CPU used by other processes while the producer sent, in % of the whole machine. */
  otherCpuPct: number;
}
export interface LatencyResult {
  runs: LatencyRun[];
  /** Each statistic's median over the runs. */
  median: LatencyStats;
}
export type { RedeliveryRun } from "./measureRedelivery";
export interface RedeliveryResult {
  /** The library's setting that decided the time, and its value (see ./redeliverySetting.ts). */
  setting: string;
  runs: RedeliveryRun[];
  /** Median redeliveryMs over the runs. */
  medianMs: number;
}
/** "@q is this many times better": throughput @q ÷ other; latency other ÷ @q. */
export type Ratios = Partial<Record<Exclude<Lib, "q">, number>>;
export interface TargetCheck {
  description: string;
  actual: number | null;
  threshold: number;
  /** null when a library it needs was not run. */
  met: boolean | null;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  environment: {
    node: string;
    platform: string;
    cpus: number;
    cpuModel: string;
    /** Total memory of the machine (GiB). */
    memoryGb: number;
    loadavgBefore: number[];
    loadavgAfter: number[];
    redisUrl: string;
    redisVersion: string;
    redisPersistence: string;
    /** The installed RabbitMQ server's version (not used by these scenarios; recorded for the record). */
    rabbitmqVersion: string;
    versions: Record<string, string>;
    /** The commit, and whether @q's sources differed from it (uncommitted work is benchmarked as built). */
    git: string;
  };
  options: Omit<BenchOptions, "launcher" | "log" | "profileDir" | "timeoutMs" | "redisUrl" | "quietWaitMs">;
  enqueue: Partial<Record<Lib, ThroughputResult>>;
  /** Keyed by drain variant (`drainKey`): "c=1", "c=10", "c=100", "io 10ms c=250". */
  drain: Record<string, Partial<Record<Lib, ThroughputResult>>>;
  /** Warm worker ("latency", `latencyWarmup` warm-up messages). */
  latency: Partial<Record<Lib, LatencyResult>>;
  /** Freshly started worker ("latency-fresh", `latencyFreshWarmup` warm-up messages). */
  latencyFresh: Partial<Record<Lib, LatencyResult>>;
  /** SIGKILL → the killed job running again in a fresh worker ("redelivery"). */
  redelivery: Partial<Record<Lib, RedeliveryResult>>;
  ratios: {
    enqueue: Ratios;
    drain: Record<string, Ratios>;
    latencyP50: Ratios;
    latencyP99: Ratios;
    latencyFreshP50: Ratios;
    latencyFreshP99: Ratios;
    /** other ÷ @q of the median redelivery time. */
    redelivery: Ratios;
  };
  targets: TargetCheck[];
  /** CPU profiles written (with `profileDir`), with the measured window (monotonic µs) in each. */
  profiles: { file: string; window: Window }[];
}

const QUEUE = "bench";

/** Other processes using more than this share of the machine (%) make a run "noisy". */
export const NOISY_PCT = 5;

/** Runs the whole benchmark. Scenarios and measurements run strictly one after another. */
export async function runBenchmark(options: BenchOptions): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const loadavgBefore = os.loadavg();
  const runId = randomBytes(3).toString("hex");
  const admin = new RedisAdmin(options.redisUrl);
  await admin.connect();
  try {
    const server = await admin.serverInfo();
    const ctx: Ctx = { options, admin, runId, profiles: [] };
    const enqueue: BenchReport["enqueue"] = {};
    const drain: BenchReport["drain"] = {};
    const latency: BenchReport["latency"] = {};
    const latencyFresh: BenchReport["latencyFresh"] = {};
    const redelivery: BenchReport["redelivery"] = {};

    for (const scenario of options.scenarios) {
      if (scenario === "redelivery") {
        await runRedeliveries(ctx, redelivery);
        continue;
      }
      for (const variant of variantsOf(scenario, options)) {
        for (let rep = 0; rep < options.repeats; rep++) {
          // Rotate the order each repetition, so no library always runs first (or last).
          for (const lib of rotate(options.libs, rep)) {
            const label = `${scenario}${variant ? ` ${variant.key}` : ""} ${LIB_LABEL[lib]} run ${rep + 1}/${options.repeats}`;
            // A run that other processes disturbed is measured again (fresh keys, fresh children).
            for (let attempt = 0; ; attempt++) {
              await waitForQuiet(ctx);
              const tag = `${rep + 1}${attempt ? `-retry${attempt}` : ""}`;
              const retry = attempt < options.noisyRetries;
              if (scenario === "latency" || scenario === "latency-fresh") {
                const fresh = scenario === "latency-fresh";
                const run = await measureLatency(ctx, lib, tag, fresh ? options.latencyFreshWarmup : options.latencyWarmup, scenario);
                const noisy = run.otherCpuPct > NOISY_PCT;
                options.log(`${label}: p50 ${run.p50.toFixed(3)} ms, p99 ${run.p99.toFixed(3)} ms, max ${run.max.toFixed(3)} ms${noise(run, noisy && retry)}`);
                if (noisy && retry) continue;
                ((fresh ? latencyFresh : latency)[lib] ??= { runs: [], median: run }).runs.push(run);
              } else {
                const run = variant ? await measureDrain(ctx, lib, tag, variant) : await measureEnqueue(ctx, lib, tag);
                const noisy = run.otherCpuPct > NOISY_PCT;
                const rss = run.rssEndMb === undefined ? "" : `, RSS ${run.rssIdleMb!.toFixed(0)} → ${run.rssEndMb.toFixed(0)} MB`;
                options.log(`${label}: ${Math.round(run.jobsPerSec)} jobs/s (${run.elapsedMs.toFixed(1)} ms${rss})${noise(run, noisy && retry)}`);
                if (noisy && retry) continue;
                const results = variant ? (drain[variant.key] ??= {}) : enqueue;
                (results[lib] ??= { runs: [], median: 0 }).runs.push(run);
              }
              break;
            }
          }
        }
      }
    }
    for (const r of [...Object.values(enqueue), ...Object.values(drain).flatMap((d) => Object.values(d))]) r.median = median(r.runs.map((x) => x.jobsPerSec));
    for (const r of [...Object.values(latency), ...Object.values(latencyFresh)]) r.median = medianLatency(r.runs);

    const ratios = {
      enqueue: throughputRatios(enqueue),
      drain: Object.fromEntries(Object.entries(drain).map(([key, d]) => [key, throughputRatios(d)])),
      latencyP50: latencyRatios(latency, "p50"),
      latencyP99: latencyRatios(latency, "p99"),
      latencyFreshP50: latencyRatios(latencyFresh, "p50"),
      latencyFreshP99: latencyRatios(latencyFresh, "p99"),
      redelivery: redeliveryRatios(redelivery),
    };
    return {
      startedAt,
      finishedAt: new Date().toISOString(),
      environment: {
        node: process.version,
        platform: `${os.type()} ${os.release()} ${os.arch()}`,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? "unknown",
        memoryGb: os.totalmem() / 2 ** 30,
        loadavgBefore,
        loadavgAfter: os.loadavg(),
        redisUrl: options.redisUrl,
        redisVersion: server.version,
        redisPersistence: server.persistence,
        rabbitmqVersion: rabbitmqVersion(),
        versions: Object.fromEntries(["@q/core", "@q/broker-redis", "@q/broker-rabbitmq", "@q/cli", "bullmq", "bee-queue", "ioredis", "amqplib"].map((p) => [p, versionOf(p)])),
        git: gitState(),
      },
      options: {
        n: options.n,
        concurrencies: options.concurrencies,
        ioConcurrency: options.ioConcurrency,
        ioDelayMs: options.ioDelayMs,
        latencySamples: options.latencySamples,
        latencyWarmup: options.latencyWarmup,
        latencyFreshWarmup: options.latencyFreshWarmup,
        latencyGapMs: options.latencyGapMs,
        latencyConcurrency: options.latencyConcurrency,
        repeats: options.repeats,
        redeliveryRepeats: options.redeliveryRepeats,
        redeliveryJobMs: options.redeliveryJobMs,
        redeliveryTimeoutMs: options.redeliveryTimeoutMs,
        noisyRetries: options.noisyRetries,
        libs: options.libs,
        scenarios: options.scenarios,
      },
      enqueue,
      drain,
      latency,
      latencyFresh,
      redelivery,
      ratios,
      targets: targets(ratios, latency, drainKey(Math.max(...options.concurrencies), 0)),
      profiles: ctx.profiles,
    };
  } finally {
    await admin.close();
  }
}

interface Ctx {
  options: BenchOptions;
  admin: RedisAdmin;
  runId: string;
  profiles: BenchReport["profiles"];
}

/** One drain configuration: a worker concurrency, and how long each job awaits (0: a no-op job). */
export interface DrainVariant {
  key: string;
  concurrency: number;
  delayMs: number;
}

/** "c=100" for a no-op drain, "io 10ms c=250" for one whose jobs await. */
export function drainKey(concurrency: number, delayMs: number): string {
  return delayMs > 0 ? `io ${delayMs}ms c=${concurrency}` : `c=${concurrency}`;
}

/** The drains a scenario runs (one per concurrency for "drain"); [null] for the others. */
function variantsOf(scenario: Scenario, o: BenchOptions): (DrainVariant | null)[] {
  const variant = (concurrency: number, delayMs: number) => ({ key: drainKey(concurrency, delayMs), concurrency, delayMs });
  if (scenario === "drain") return o.concurrencies.map((c) => variant(c, 0));
  if (scenario === "drain-io") return [variant(o.ioConcurrency, o.ioDelayMs)];
  return [null];
}

function targetFor(ctx: Ctx, scenario: string, lib: Lib, tag: string): Target {
  return { redisUrl: ctx.options.redisUrl, prefix: `qbench-${ctx.runId}-${scenario}-${lib}-${tag}`, queue: QUEUE };
}

function noise(run: { otherCpuPct: number }, retrying: boolean): string {
  if (run.otherCpuPct <= NOISY_PCT) return "";
  return ` (other processes used ${run.otherCpuPct.toFixed(0)}% of the machine${retrying ? "; measuring again" : ""})`;
}

/** Waits (up to `quietWaitMs`) until other processes use at most NOISY_PCT of the machine over a second. */
async function waitForQuiet(ctx: Ctx): Promise<void> {
  const { quietWaitMs, log } = ctx.options;
  if (quietWaitMs <= 0) return;
  const deadline = Date.now() + quietWaitMs;
  let said = false;
  for (;;) {
    const busy0 = machineBusyMs();
    const t0 = performance.now();
    await sleep(1000);
    const pct = (100 * (machineBusyMs() - busy0)) / ((performance.now() - t0) * os.cpus().length);
    if (pct <= NOISY_PCT) return;
    if (Date.now() >= deadline) {
      log(`the machine is still ${pct.toFixed(0)}% busy after ${quietWaitMs / 1000} s; measuring anyway`);
      return;
    }
    if (!said) log(`waiting for the machine to be quiet (${pct.toFixed(0)}% busy)…`);
    said = true;
  }
}

/** Runs `body` with the children it starts, then stops them and deletes the target's keys. */
async function withCleanup<T>(ctx: Ctx, target: Target, body: (started: Child[]) => Promise<T>): Promise<T> {
  const started: Child[] = [];
  try {
    return await body(started);
  } finally {
    for (const child of started.reverse()) await child.stop();
    await ctx.admin.deleteKeys(target.prefix);
  }
}

async function measureEnqueue(ctx: Ctx, lib: Lib, tag: string): Promise<ThroughputRun> {
  const { n, launcher, timeoutMs } = ctx.options;
  const target = targetFor(ctx, "enqueue", lib, tag);
  return withCleanup(ctx, target, async (started) => {
    const profile = profiling(ctx, lib, "enqueue", tag);
    const producer = await Child.start({ role: "bulk-producer", lib, target, n }, launcher, {
      label: `${lib} bulk producer`,
      extraExecArgv: profile.execArgv,
      timeoutMs,
    });
    started.push(producer);
    const meter = await startMeter(ctx);
    producer.send({ type: "go" });
    const result = (await producer.next("result", timeoutMs)).result as BulkResult;
    const { redisCpuMs, otherCpuPct } = await meter.stop(result.cpuMs);
    if (result.waiting !== n) throw new Error(`${LIB_LABEL[lib]} enqueue: ${result.waiting} jobs waiting after enqueueing ${n}`);
    await profile.collect(producer, result.window);
    return throughput(n, result.elapsedMs, result.cpuMs, redisCpuMs, otherCpuPct);
  });
}

async function measureDrain(ctx: Ctx, lib: Lib, tag: string, variant: DrainVariant): Promise<ThroughputRun> {
  const { n, launcher, timeoutMs } = ctx.options;
  const { concurrency, delayMs } = variant;
  const target = targetFor(ctx, delayMs ? "drainio" : `drain${concurrency}`, lib, tag);
  return withCleanup(ctx, target, async (started) => {
    // Fill the queue (not measured), with the same bulk call as the enqueue scenario.
    const producer = await Child.start({ role: "bulk-producer", lib, target, n }, launcher, { label: `${lib} bulk producer`, timeoutMs });
    started.push(producer);
    producer.send({ type: "go" });
    const filled = (await producer.next("result", timeoutMs)).result as BulkResult;
    if (filled.waiting !== n) throw new Error(`${LIB_LABEL[lib]} drain: ${filled.waiting} jobs waiting after enqueueing ${n}`);
    await producer.stop();

    const profile = profiling(ctx, lib, "drain", tag);
    const worker = await Child.start({ role: "drain-worker", lib, target, n, concurrency, delayMs }, launcher, {
      label: `${lib} drain worker`,
      extraExecArgv: profile.execArgv,
      timeoutMs,
    });
    started.push(worker);
    const meter = await startMeter(ctx);
    worker.send({ type: "go" });
    const result = (await worker.next("result", timeoutMs)).result as DrainResult;
    const { redisCpuMs, otherCpuPct } = await meter.stop(result.cpuMs);
    const what = `${LIB_LABEL[lib]} drain ${variant.key}`;
    if (result.completed !== n) throw new Error(`${what}: ${result.completed} of ${n} jobs completed`);
    if (result.failed !== 0) throw new Error(`${what}: ${result.failed} job(s) failed`);
    if (result.processed < n) throw new Error(`${what}: only ${result.processed} handler calls for ${n} jobs`);
    if (result.remaining !== 0) throw new Error(`${what}: ${result.remaining} job record(s) left in Redis after the drain`);
    if (result.processed > n) ctx.options.log(`${what}: warning: ${result.processed - n} job(s) ran twice`);
    await profile.collect(worker, result.window);
    return { ...throughput(n, result.elapsedMs, result.cpuMs, redisCpuMs, otherCpuPct), rssIdleMb: result.rssIdleMb, rssEndMb: result.rssEndMb };
  });
}

async function measureLatency(ctx: Ctx, lib: Lib, tag: string, latencyWarmup: number, scenario: "latency" | "latency-fresh"): Promise<LatencyRun> {
  const { latencySamples, latencyGapMs, latencyConcurrency, launcher, timeoutMs } = ctx.options;
  const total = latencyWarmup + latencySamples;
  const target = targetFor(ctx, scenario, lib, tag);
  return withCleanup(ctx, target, async (started) => {
    const profile = profiling(ctx, lib, scenario, tag);
    const worker = await Child.start({ role: "latency-worker", lib, target, n: total, concurrency: latencyConcurrency }, launcher, {
      label: `${lib} latency worker`,
      extraExecArgv: profile.execArgv,
      timeoutMs,
    });
    started.push(worker);
    worker.send({ type: "go" });
    await worker.next("started", timeoutMs);
    const producer = await Child.start({ role: "latency-producer", lib, target, n: total, gapMs: latencyGapMs }, launcher, {
      label: `${lib} latency producer`,
      timeoutMs,
    });
    started.push(producer);
    const skew = (await worker.clockOffset()).offsetMs - (await producer.clockOffset()).offsetMs;

    const meter = await startMeter(ctx);
    producer.send({ type: "go" });
    const sent = (await producer.next("result", timeoutMs)).result as LatencyProducerResult;
    const result = (await worker.next("result", timeoutMs)).result as LatencyWorkerResult;
    const { otherCpuPct } = await meter.stop(sent.cpuMs + result.cpuMs);
    const { sendStart } = sent;
    const what = `${LIB_LABEL[lib]} latency`;
    if (result.completed !== total) throw new Error(`${what}: ${result.completed} of ${total} jobs completed`);
    if (result.failed !== 0) throw new Error(`${what}: ${result.failed} job(s) failed`);
    if (result.remaining !== 0) throw new Error(`${what}: ${result.remaining} job record(s) left in Redis`);
    const latencies: number[] = [];
    for (let i = latencyWarmup; i < total; i++) {
      const ms = result.actorStart[i]! - sendStart[i]!;
      if (!Number.isFinite(ms)) throw new Error(`${what}: job ${i} has no start time`);
      latencies.push(ms);
    }
    await profile.collect(worker, result.window);
    return { ...latencyStats(latencies), clockSkewMs: skew, otherCpuPct };
  });
}

/**
 * The redelivery scenario: for each library that recovers dead workers' jobs,
 * `redeliveryRepeats` runs, libraries rotating. Not re-measured for noise: the time is
 * decided by the libraries' recovery timers, not by CPU.
 */
async function runRedeliveries(ctx: Ctx, into: BenchReport["redelivery"]): Promise<void> {
  const { options } = ctx;
  const libs = options.libs.filter((lib) => REDELIVERING_LIBS.includes(lib));
  for (const lib of options.libs.filter((l) => !libs.includes(l))) options.log(`redelivery: ${LIB_LABEL[lib]} skipped (${redeliverySetting(lib, undefined)})`);
  for (let rep = 0; rep < options.redeliveryRepeats; rep++) {
    for (const lib of rotate(libs, rep)) {
      await waitForQuiet(ctx);
      const target = targetFor(ctx, "redelivery", lib, String(rep + 1));
      const setting = redeliverySetting(lib, options.redeliveryTimeoutMs);
      const run = await withCleanup(ctx, target, (started) =>
        measureRedelivery({ lib, target, launcher: options.launcher, jobMs: options.redeliveryJobMs, recoveryMs: options.redeliveryTimeoutMs, timeoutMs: options.timeoutMs }, started),
      );
      options.log(
        `redelivery ${LIB_LABEL[lib]} run ${rep + 1}/${options.redeliveryRepeats}: ${(run.redeliveryMs / 1000).toFixed(2)} s after SIGKILL (fresh worker started after ${(run.workerStartedMs / 1000).toFixed(2)} s; ${setting})`,
      );
      (into[lib] ??= { setting, runs: [], medianMs: 0 }).runs.push(run);
    }
  }
  for (const r of Object.values(into)) r.medianMs = median(r.runs.map((x) => x.redeliveryMs));
}

function throughput(jobs: number, elapsedMs: number, clientCpuMs: number, redisCpuMs: number, otherCpuPct: number): ThroughputRun {
  return { jobs, elapsedMs, jobsPerSec: jobs / (elapsedMs / 1000), clientCpuMs, redisCpuMs, otherCpuPct };
}

/** CPU time all cores have spent busy since boot, in ms (from /proc/stat via os.cpus(); 10 ms ticks). */
function machineBusyMs(): number {
  let busy = 0;
  for (const { times } of os.cpus()) busy += times.user + times.nice + times.sys + times.irq;
  return busy;
}

/**
 * Measures, around one measurement, redis-server's CPU time and how much CPU *other*
 * processes used: the machine's busy time minus the measured children's and Redis's,
 * as a share of the machine's capacity over the same wall time. A few % is noise
 * (10 ms ticks, the harness itself); more means something else was running.
 */
async function startMeter(ctx: Ctx): Promise<{ stop(childrenCpuMs: number): Promise<{ redisCpuMs: number; otherCpuPct: number }> }> {
  const redis0 = await ctx.admin.serverCpuMs();
  const machine0 = machineBusyMs();
  const t0 = performance.now();
  return {
    async stop(childrenCpuMs) {
      const machineMs = machineBusyMs() - machine0;
      const wallMs = performance.now() - t0;
      const redisCpuMs = (await ctx.admin.serverCpuMs()) - redis0;
      const otherMs = Math.max(0, machineMs - redisCpuMs - childrenCpuMs);
      return { redisCpuMs, otherCpuPct: (100 * otherMs) / (wallMs * os.cpus().length) };
    },
  };
}

/** With `profileDir`, @q's measured child runs under `--cpu-prof`; `collect` stops it so the profile is written. */
function profiling(ctx: Ctx, lib: Lib, scenario: Scenario, tag: string): { execArgv: string[]; collect(child: Child, window: Window): Promise<void> } {
  const dir = ctx.options.profileDir;
  if (!dir || lib !== "q") return { execArgv: [], collect: async () => undefined };
  fs.mkdirSync(dir, { recursive: true });
  const name = `q-${scenario}-${ctx.runId}-run${tag}.cpuprofile`;
  return {
    execArgv: ["--cpu-prof", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`, "--cpu-prof-interval=200"],
    async collect(child, window) {
      await child.stop(); // V8 writes the profile when the process exits
      const file = path.join(dir, name);
      if (!fs.existsSync(file)) throw new Error(`no CPU profile at ${file}`);
      ctx.profiles.push({ file, window });
    },
  };
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const k = items.length ? by % items.length : 0;
  return [...items.slice(k), ...items.slice(0, k)];
}

function throughputRatios(results: Partial<Record<Lib, ThroughputResult>>): Ratios {
  const q = results.q?.median;
  const out: Ratios = {};
  if (q === undefined) return out;
  for (const lib of LIBS.filter((l): l is Exclude<Lib, "q"> => l !== "q")) {
    const other = results[lib]?.median;
    if (other !== undefined) out[lib] = q / other;
  }
  return out;
}

function latencyRatios(results: Partial<Record<Lib, LatencyResult>>, stat: "p50" | "p99"): Ratios {
  const q = results.q?.median[stat];
  const out: Ratios = {};
  if (q === undefined) return out;
  for (const lib of LIBS.filter((l): l is Exclude<Lib, "q"> => l !== "q")) {
    const other = results[lib]?.median[stat];
    if (other !== undefined) out[lib] = other / q;
  }
  return out;
}

function redeliveryRatios(results: BenchReport["redelivery"]): Ratios {
  const q = results.q?.medianMs;
  const out: Ratios = {};
  if (q === undefined) return out;
  for (const lib of LIBS.filter((l): l is Exclude<Lib, "q"> => l !== "q")) {
    const other = results[lib]?.medianMs;
    if (other !== undefined) out[lib] = other / q;
  }
  return out;
}

/** The goals from the issue; the drain one at `drainAt` (the highest no-op concurrency). */
function targets(ratios: BenchReport["ratios"], latency: BenchReport["latency"], drainAt: string): TargetCheck[] {
  const check = (description: string, actual: number | undefined, threshold: number, atLeast: boolean): TargetCheck => ({
    description,
    actual: actual ?? null,
    threshold,
    met: actual === undefined ? null : atLeast ? actual >= threshold : actual <= threshold,
  });
  return [
    check("bulk enqueue: @q ≥ 1.5× bee-queue", ratios.enqueue["bee-queue"], 1.5, true),
    check(`drain ${drainAt}: @q ≥ 2× BullMQ`, ratios.drain[drainAt]?.bullmq, 2, true),
    check("latency: @q p99 ≤ 2 ms", latency.q?.median.p99, 2, false),
  ];
}

/** The Debian package's RabbitMQ version, from its install directory name ("?" if none). */
export function rabbitmqVersion(): string {
  try {
    const dir = fs.readdirSync("/usr/lib/rabbitmq/lib").find((d) => d.startsWith("rabbitmq_server-"));
    return dir ? dir.slice("rabbitmq_server-".length) : "?";
  } catch {
    return "?";
  }
}

/** The installed version of a package, from its package.json. */
export function versionOf(pkg: string): string {
  try {
    let dir = path.dirname(require.resolve(pkg));
    for (;;) {
      const file = path.join(dir, "package.json");
      if (fs.existsSync(file)) {
        const json = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
        if (json.name === pkg) return json.version ?? "?";
      }
      const up = path.dirname(dir);
      if (up === dir) return "?";
      dir = up;
    }
  } catch {
    return "?";
  }
}

/** `abc1234` or `abc1234 + uncommitted changes in packages/…/src`; "unknown" outside a checkout. */
function gitState(): string {
  try {
    const cwd = path.resolve(__dirname, "..", "..", "..");
    const git = (...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const head = git("rev-parse", "--short", "HEAD");
    const dirty = git("status", "--porcelain", "--", "packages/core/src", "packages/broker-redis/src");
    return dirty ? `${head} + uncommitted changes in @q's sources:\n${dirty}` : head;
  } catch {
    return "unknown";
  }
}
