import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { summarizeProfile } from "../src/cpuProfile";
import { parseCli } from "../src/main";
import { parseRedisUrl } from "../src/redisUrl";
import { latencyStats, median, medianLatency, percentile } from "../src/stats";

describe("stats", () => {
  test("median of odd and even counts", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  test("percentiles use the nearest rank", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([5], 99)).toBe(5);
  });

  test("latency summary and its field-wise median", () => {
    const s = latencyStats([4, 1, 3, 2]);
    expect(s).toEqual({ samples: 4, p50: 2, p90: 4, p99: 4, max: 4, mean: 2.5 });
    const m = medianLatency([s, { ...s, p99: 10 }, { ...s, p99: 6 }]);
    expect(m.p99).toBe(6);
    expect(m.p50).toBe(2);
  });
});

test("parseRedisUrl", () => {
  expect(parseRedisUrl("redis://127.0.0.1:6380/2")).toEqual({ host: "127.0.0.1", port: 6380, db: 2 });
  expect(parseRedisUrl("redis://:s%40cret@localhost")).toEqual({ host: "localhost", port: 6379, db: 0, password: "s@cret" });
  expect(() => parseRedisUrl("rediss://x")).toThrow("Only redis://");
});

describe("parseCli", () => {
  test("defaults are the full sizes", () => {
    const { options } = parseCli([]);
    expect(options).toMatchObject({
      n: 20_000,
      concurrencies: [1, 10, 100],
      ioConcurrency: 250,
      ioDelayMs: 10,
      latencySamples: 500,
      latencyWarmup: 2000,
      latencyFreshWarmup: 20,
      repeats: 5,
      redeliveryRepeats: 1,
      redeliveryJobMs: 200,
      libs: ["q", "bullmq", "bee-queue", "ioredis-raw"],
      scenarios: ["enqueue", "drain", "drain-io", "latency", "latency-fresh", "redelivery"],
    });
    expect(options.redeliveryTimeoutMs).toBeUndefined();
    expect(options.profileDir).toBeUndefined();
  });

  test("sizes, lists and --profile", () => {
    const { options, json } = parseCli(["--n", "50", "--libs", "q,bullmq", "--scenarios", "drain", "--json", "out.json"]);
    expect(options).toMatchObject({ n: 50, libs: ["q", "bullmq"], scenarios: ["drain"] });
    expect(json).toBe("out.json");
    const profiled = parseCli(["--profile"]).options;
    expect(profiled).toMatchObject({ scenarios: ["drain"], concurrencies: [100], libs: ["q"], repeats: 1 });
    expect(parseCli(["--concurrency", "1, 250", "--io-concurrency", "50", "--io-delay-ms", "5"]).options).toMatchObject({
      concurrencies: [1, 250],
      ioConcurrency: 50,
      ioDelayMs: 5,
    });
    expect(profiled.profileDir).toMatch(/profiles$/);
  });

  test("redelivery and fresh-latency options", () => {
    expect(parseCli(["--redelivery-timeout", "5000", "--redelivery-repeats", "3", "--redelivery-job-ms", "300", "--latency-fresh-warmup", "0"]).options).toMatchObject({
      redeliveryTimeoutMs: 5000,
      redeliveryRepeats: 3,
      redeliveryJobMs: 300,
      latencyFreshWarmup: 0,
    });
    // The kill comes 50 ms into a job: a job must run longer.
    expect(() => parseCli(["--redelivery-job-ms", "50"])).toThrow("--redelivery-job-ms must be an integer ≥ 100");
  });

  test("a leading -- (from pnpm) is ignored", () => {
    expect(parseCli(["--", "--repeats", "1"]).options.repeats).toBe(1);
  });

  test("rejects bad values", () => {
    expect(() => parseCli(["--n", "0"])).toThrow("--n must be an integer");
    expect(() => parseCli(["--libs", "kue"])).toThrow('unknown "kue"');
  });
});

describe("summarizeProfile", () => {
  // Two functions: hot() sampled 3 times, cold() once; (idle) once. Samples every 1000 µs from t=1000.
  const frame = (id: number, functionName: string, url = "") => ({ id, callFrame: { functionName, url, lineNumber: 9, columnNumber: 0 } });
  const profile = {
    nodes: [
      frame(1, "(root)"),
      frame(2, "hot", "file:///work/main/packages/core/dist/worker/Worker.js"),
      frame(3, "cold", "file:///x/node_modules/.pnpm/ioredis@6.0.0/node_modules/ioredis/built/Redis.js"),
      frame(4, "(idle)"),
    ],
    startTime: 0,
    endTime: 7000,
    samples: [2, 2, 3, 2, 4, 1],
    timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000],
  };
  let file: string;
  beforeAll(() => {
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "qbench-")), "p.cpuprofile");
    fs.writeFileSync(file, JSON.stringify(profile));
  });

  test("self time per function and package, idle left out of the shares", () => {
    const s = summarizeProfile(file);
    expect(s.totalMs).toBe(5);
    expect(s.idleMs).toBe(1);
    expect(s.functions[0]).toMatchObject({ name: "hot", location: "core/dist/worker/Worker.js:10", selfMs: 3, percent: 75 });
    expect(s.functions[1]).toMatchObject({ name: "cold", location: "ioredis/built/Redis.js:10", selfMs: 1 });
    expect(s.packages.map((p) => p.name)).toEqual(["@q/core", "ioredis"]);
  });

  test("a window keeps only the samples taken inside it", () => {
    // Samples at t=1000 (hot), 2000 (hot), 3000 (cold), 4000 (hot), 5000 (idle).
    const s = summarizeProfile(file, { window: [2500, 4500] });
    expect(s.windowed).toBe(true);
    expect(s.functions.map((f) => [f.name, f.selfMs])).toEqual([
      ["cold", 1],
      ["hot", 1],
    ]);
  });
});
