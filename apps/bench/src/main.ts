/**
 * The benchmark CLI (`pnpm --filter @q/bench bench`). Prints the report on stdout,
 * progress on stderr. See README.md for what the numbers mean.
 *
 *     node dist/main.js                          # everything, full sizes, 5 runs each
 *     node dist/main.js --scenarios drain --libs q,bullmq --repeats 5
 *     node dist/main.js --scenarios redelivery --redelivery-timeout 5000
 *     node dist/main.js --json results/bench.json
 *     node dist/main.js --profile                # one @q drain under --cpu-prof, top self time
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { formatProfileSummary, summarizeProfile } from "./cpuProfile";
import { type BenchOptions, type BenchReport, SCENARIOS, benchOptions, runBenchmark } from "./harness";
import { DEFAULT_LIBS, LIBS } from "./protocol";
import { formatReport } from "./report";

const USAGE = `Usage: node dist/main.js [options]
  --n <jobs>                 jobs per bulk enqueue / drain (default 20000)
  --concurrency <list>       drain worker concurrencies, one drain each (default 1,10,100)
  --io-concurrency <k>       concurrency of the I/O-bound drain, "drain-io" (default 250)
  --io-delay-ms <ms>         how long each job of the I/O-bound drain awaits (default 10)
  --latency-samples <m>      measured latency samples per run (default 500)
  --latency-warmup <w>       warm-up messages per warm latency run, not counted (default 2000)
  --latency-fresh-warmup <w> the same for "latency-fresh", a freshly started worker (default 20)
  --gap-ms <ms>              pause between latency sends (default 3)
  --latency-concurrency <k>  latency worker concurrency (default 10)
  --repeats <r>              runs per scenario and library; min/median/max reported (default 5)
  --redelivery-repeats <r>   runs per library of "redelivery" (default 1; each waits out the
                             library's recovery timeout: ~2.5 min per repeat at the defaults)
  --redelivery-job-ms <ms>   how long each redelivery job runs; the kill is 50 ms into one (default 200)
  --redelivery-timeout <ms>  lower every library's recovery setting to this: @q heartbeatTimeout,
                             BullMQ lockDuration and stalledInterval, bee-queue stallInterval
                             (default: each library's own default)
  --noisy-retries <k>        re-measure a run during which other processes used more than
                             5% of the machine, up to k times (default 2)
  --quiet-wait <s>           before each measurement, wait up to s seconds for the machine
                             to be quiet; 0 = don't wait (default 120)
  --libs <list>              comma-separated: ${LIBS.join(",")} (default ${DEFAULT_LIBS.join(",")})
  --scenarios <list>         comma-separated: ${SCENARIOS.join(",")} (default all)
  --redis-url <url>          default $REDIS_URL or redis://127.0.0.1:6379
  --json <file>              also write the report as JSON
  --profile                  run the @q drain worker under --cpu-prof and print its top
                             self-time functions; unless given, implies
                             --scenarios drain --concurrency 100 --libs q --repeats 1
  --profile-dir <dir>        where profiles go (default ./profiles; implies --profile)
  -h, --help`;

export function parseCli(argv: readonly string[]): { options: BenchOptions; json?: string } {
  const { values } = parseArgs({
    // `pnpm … bench -- --n 100` passes the "--" on.
    args: argv[0] === "--" ? argv.slice(1) : [...argv],
    options: {
      n: { type: "string" },
      concurrency: { type: "string" },
      "io-concurrency": { type: "string" },
      "io-delay-ms": { type: "string" },
      "latency-samples": { type: "string" },
      "latency-warmup": { type: "string" },
      "latency-fresh-warmup": { type: "string" },
      "gap-ms": { type: "string" },
      "latency-concurrency": { type: "string" },
      repeats: { type: "string" },
      "redelivery-repeats": { type: "string" },
      "redelivery-job-ms": { type: "string" },
      "redelivery-timeout": { type: "string" },
      "noisy-retries": { type: "string" },
      "quiet-wait": { type: "string" },
      libs: { type: "string" },
      scenarios: { type: "string" },
      "redis-url": { type: "string" },
      json: { type: "string" },
      profile: { type: "boolean" },
      "profile-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: false,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const overrides: Partial<BenchOptions> = {};
  const int = (name: string, raw: string | undefined, min: number) => {
    if (raw === undefined) return undefined;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${raw}`);
    return v;
  };
  const set = <K extends keyof BenchOptions>(key: K, value: BenchOptions[K] | undefined) => {
    if (value !== undefined) overrides[key] = value;
  };
  set("n", int("n", values.n, 1));
  set("concurrencies", values.concurrency?.split(",").map((c) => int("concurrency", c.trim(), 1)!));
  set("ioConcurrency", int("io-concurrency", values["io-concurrency"], 1));
  set("ioDelayMs", int("io-delay-ms", values["io-delay-ms"], 1));
  set("latencySamples", int("latency-samples", values["latency-samples"], 1));
  set("latencyWarmup", int("latency-warmup", values["latency-warmup"], 0));
  set("latencyFreshWarmup", int("latency-fresh-warmup", values["latency-fresh-warmup"], 0));
  set("latencyGapMs", int("gap-ms", values["gap-ms"], 0));
  set("latencyConcurrency", int("latency-concurrency", values["latency-concurrency"], 1));
  set("repeats", int("repeats", values.repeats, 1));
  set("redeliveryRepeats", int("redelivery-repeats", values["redelivery-repeats"], 1));
  // The kill comes 50 ms into a job, so a job must run longer than that.
  set("redeliveryJobMs", int("redelivery-job-ms", values["redelivery-job-ms"], 100));
  set("redeliveryTimeoutMs", int("redelivery-timeout", values["redelivery-timeout"], 500));
  set("noisyRetries", int("noisy-retries", values["noisy-retries"], 0));
  const quietWait = int("quiet-wait", values["quiet-wait"], 0);
  set("quietWaitMs", quietWait === undefined ? undefined : quietWait * 1000);
  set("redisUrl", values["redis-url"]);
  set("libs", values.libs === undefined ? undefined : list(values.libs, LIBS, "--libs"));
  set("scenarios", values.scenarios === undefined ? undefined : list(values.scenarios, SCENARIOS, "--scenarios"));
  if (values.profile || values["profile-dir"]) {
    overrides.profileDir = path.resolve(values["profile-dir"] ?? "profiles");
    overrides.scenarios ??= ["drain"];
    overrides.libs ??= ["q"];
    overrides.concurrencies ??= [100];
    if (values.repeats === undefined) overrides.repeats = 1;
  }
  return { options: benchOptions(overrides), json: values.json };
}

function list<T extends string>(raw: string, allowed: readonly T[], flag: string): T[] {
  const items = raw.split(",").map((s) => s.trim()).filter(Boolean);
  for (const item of items) if (!allowed.includes(item as T)) throw new Error(`${flag}: unknown "${item}" (expected ${allowed.join(", ")})`);
  if (!items.length) throw new Error(`${flag} is empty`);
  return items as T[];
}

export async function cli(argv: readonly string[]): Promise<BenchReport> {
  const { options, json } = parseCli(argv);
  const report = await runBenchmark(options);
  process.stdout.write(`${formatReport(report)}\n`);
  for (const { file, window } of report.profiles) {
    process.stdout.write(`\n${formatProfileSummary(file, summarizeProfile(file, { window }))}\n`);
  }
  if (json) {
    fs.mkdirSync(path.dirname(path.resolve(json)), { recursive: true });
    fs.writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
    process.stderr.write(`[bench] report written to ${json}\n`);
  }
  return report;
}

if (require.main === module) {
  cli(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
