// Runs the whole benchmark harness at tiny sizes against the real Redis, so CI keeps it
// working. It asserts that every job of every library completed and that the report has
// the expected shape. Speed is never asserted.
import path from "node:path";
import Redis from "ioredis";
import { type BenchReport, SCENARIOS, benchOptions, runBenchmark } from "../src/harness";
import { REDELIVERY_JOBS } from "../src/measureRedelivery";
import { LIBS, REDELIVERING_LIBS } from "../src/protocol";
import { formatReport } from "../src/report";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const REPEATS = 2;
const N = 300;
const SAMPLES = 50;
const CONCURRENCIES = [1, 100];
const DRAINS = ["c=1", "c=100", "io 10ms c=250"];
// Lowered from each library's default (@q's is 60 s) so the test stays short.
const RECOVERY_MS = 1000;

jest.setTimeout(240_000);

let report: BenchReport;
const progress: string[] = [];

beforeAll(async () => {
  report = await runBenchmark(
    benchOptions({
      redisUrl: REDIS_URL,
      n: N,
      concurrencies: CONCURRENCIES,
      ioConcurrency: 250,
      ioDelayMs: 10,
      latencySamples: SAMPLES,
      latencyWarmup: 5,
      latencyFreshWarmup: 2,
      latencyGapMs: 2,
      latencyConcurrency: 10,
      repeats: REPEATS,
      redeliveryRepeats: 1,
      redeliveryJobMs: 200,
      redeliveryTimeoutMs: RECOVERY_MS,
      // Every lib, q-prom too (not a default), so each adapter keeps working.
      libs: LIBS,
      // The children run the TypeScript sources through swc, like this test process.
      launcher: {
        entry: path.join(__dirname, "..", "src", "child.ts"),
        execArgv: ["-r", path.join(__dirname, "support", "register-ts.cjs")],
      },
      timeoutMs: 60_000,
      // CI: never wait for a quiet machine or measure again; speed is not what is tested.
      noisyRetries: 0,
      quietWaitMs: 0,
      log: (line) => progress.push(line),
    }),
  );
});

test("every scenario ran for every library, the requested number of times", () => {
  expect(report.options.scenarios).toEqual(SCENARIOS);
  for (const lib of LIBS) {
    for (const result of [report.enqueue[lib]!, ...DRAINS.map((key) => report.drain[key]![lib]!)]) {
      expect(result.runs).toHaveLength(REPEATS);
      for (const run of result.runs) {
        // The harness verified every job completed (it throws otherwise); here: all were counted.
        expect(run.jobs).toBe(N);
        expect(run.elapsedMs).toBeGreaterThan(0);
        expect(run.jobsPerSec).toBeCloseTo(N / (run.elapsedMs / 1000));
        expect(run.clientCpuMs).toBeGreaterThan(0);
        expect(run.otherCpuPct).toBeGreaterThanOrEqual(0);
      }
      expect(result.median).toBeGreaterThan(0);
    }
    for (const key of DRAINS) {
      for (const run of report.drain[key]![lib]!.runs) {
        expect(run.rssIdleMb).toBeGreaterThan(10);
        expect(run.rssEndMb).toBeGreaterThan(10);
      }
    }
    // 300 jobs awaiting 10 ms each, 250 at a time, cannot take less than two rounds.
    for (const run of report.drain["io 10ms c=250"]![lib]!.runs) expect(run.elapsedMs).toBeGreaterThanOrEqual(20);
    for (const latency of [report.latency[lib]!, report.latencyFresh[lib]!]) {
    expect(latency.runs).toHaveLength(REPEATS);
    for (const run of latency.runs) {
      expect(run.samples).toBe(SAMPLES);
      expect(run.p50).toBeLessThanOrEqual(run.p90);
      expect(run.p90).toBeLessThanOrEqual(run.p99);
      expect(run.p99).toBeLessThanOrEqual(run.max);
      expect(Number.isFinite(run.clockSkewMs)).toBe(true);
      expect(run.otherCpuPct).toBeGreaterThanOrEqual(0);
    }
    }
  }
  // enqueue, the two latencies and the three drains; one redelivery line per library that
  // recovers, and one saying raw ioredis was skipped.
  expect(progress.filter((line) => !line.startsWith("redelivery"))).toHaveLength((3 + DRAINS.length) * LIBS.length * REPEATS);
  expect(progress.filter((line) => line.startsWith("redelivery"))).toHaveLength(REDELIVERING_LIBS.length + 1);
  expect(progress).toContain("redelivery: raw ioredis skipped (no recovery)");
});

test("each recovering library ran the killed job exactly once more, in the fresh worker", () => {
  expect(Object.keys(report.redelivery).sort()).toEqual([...REDELIVERING_LIBS].sort());
  for (const lib of REDELIVERING_LIBS) {
    const result = report.redelivery[lib]!;
    expect(result.setting).toContain(`${RECOVERY_MS} ms (lowered)`);
    expect(result.runs).toHaveLength(1);
    for (const run of result.runs) {
      // The harness checked every job's starts and completions (it throws otherwise).
      expect(run.killedJobStarts).toBe(2);
      expect(run.killedJob).toBeGreaterThanOrEqual(1);
      expect(run.killedJob).toBeLessThan(REDELIVERY_JOBS);
      // About 50 ms (timers may fire a little early); the harness checked it had not completed.
      expect(run.inFlightMs).toBeGreaterThan(0);
      expect(run.workerStartedMs).toBeGreaterThan(0);
      expect(run.redeliveryMs).toBeGreaterThan(run.workerStartedMs);
    }
    expect(result.medianMs).toBe(result.runs[0]!.redeliveryMs);
  }
  expect(report.redelivery["ioredis-raw"]).toBeUndefined();
});

test("the report has ratios for both competitors, raw ioredis, @q + Prometheus, and the three targets", () => {
  expect(Object.keys(report.drain)).toEqual(DRAINS);
  const { ratios: r } = report;
  for (const ratios of [r.enqueue, ...DRAINS.map((key) => r.drain[key]!), r.latencyP50, r.latencyP99, r.latencyFreshP50, r.latencyFreshP99]) {
    expect(Object.keys(ratios).sort()).toEqual(["bee-queue", "bullmq", "ioredis-raw", "q-prom"]);
    for (const value of Object.values(ratios)) expect(value).toBeGreaterThan(0);
  }
  expect(Object.keys(r.redelivery).sort()).toEqual(["bee-queue", "bullmq", "q-prom"]);
  expect(report.targets.map((t) => t.description)).toEqual([
    "bulk enqueue: @q ≥ 1.5× bee-queue",
    "drain c=100: @q ≥ 2× BullMQ",
    "latency: @q p99 ≤ 2 ms",
  ]);
  for (const t of report.targets) expect(typeof t.met).toBe("boolean");
  expect(report.environment.redisVersion).toMatch(/^\d+\.\d+/);
  expect(report.environment.versions).toMatchObject({ bullmq: "6.7.0", "bee-queue": "2.0.0", amqplib: "2.3.1", ioredis: "6.0.0" });
  expect(report.environment.memoryGb).toBeGreaterThan(0);
  expect(report.environment.rabbitmqVersion).toMatch(/^\d+\.\d+/);

  const text = formatReport(report);
  for (const row of [
    "bulk enqueue (jobs/s)",
    "drain c=1 (jobs/s)",
    "drain c=100 (jobs/s)",
    "drain io 10ms c=250 (jobs/s)",
    "RSS at end (MB)",
    "latency warm p50 (ms)",
    "latency warm p99 (ms)",
    "latency fresh p50 (ms)",
    "latency fresh p99 (ms)",
    "Latency runs, freshly started worker, 2 warm-up messages",
    "Redelivery runs",
    "redelivery after SIGKILL (s)",
    "heartbeatTimeout 1000 ms (lowered)",
    "@q vs BullMQ",
    "@q vs bee-queue",
    "@q vs raw ioredis",
    "@q vs @q + Prometheus",
    "Targets:",
  ]) {
    expect(text).toContain(row);
  }
});

test("every run cleaned up after itself", async () => {
  const redis = new Redis(REDIS_URL);
  try {
    const [, keys] = await redis.scan("0", "MATCH", "qbench-*", "COUNT", 100_000);
    expect(keys).toEqual([]);
  } finally {
    redis.disconnect();
  }
});
