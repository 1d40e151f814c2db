import { type BenchReport, type LatencyResult, NOISY_PCT, type Ratios, type RedeliveryResult, type ThroughputResult, type ThroughputRun } from "./harness";
import { LIB_LABEL, LIBS, type Lib } from "./protocol";
import { median } from "./stats";

/** The report as text: environment, every run, and the final table with ratios and targets. */
export function formatReport(report: BenchReport): string {
  const { environment: env, options: o } = report;
  const throughputs: [string, Partial<Record<Lib, ThroughputResult>>][] = [
    ["bulk enqueue", report.enqueue],
    ...Object.entries(report.drain).map(([key, d]) => [`drain ${key}`, d] as [string, Partial<Record<Lib, ThroughputResult>>]),
  ];
  const libs = LIBS.filter((l) => o.libs.includes(l));
  const out: string[] = [];
  out.push("@q benchmark: @q (RedisBroker) vs BullMQ vs bee-queue, and raw pipelined ioredis as the ceiling; same Redis, one run at a time");
  out.push(
    `Node ${env.node} · ${env.platform} · ${env.cpus}× ${env.cpuModel} · ${env.memoryGb.toFixed(1)} GiB · Redis ${env.redisVersion} (${env.redisPersistence}) at ${env.redisUrl} · RabbitMQ ${env.rabbitmqVersion}`,
  );
  out.push(`Versions: ${Object.entries(env.versions).map(([k, v]) => `${k} ${v}`).join(", ")}; git ${env.git.replace(/\n/g, " ")}`);
  out.push(`Load average before/after: ${env.loadavgBefore.map((x) => x.toFixed(2)).join(" ")} / ${env.loadavgAfter.map((x) => x.toFixed(2)).join(" ")}`);
  out.push(
    `Sizes: N=${o.n} jobs (enqueue, drain), drain concurrencies ${o.concurrencies.join(", ")}, I/O-bound drain ${o.ioDelayMs} ms per job at concurrency ${o.ioConcurrency}; latency ${o.latencySamples} samples (+${o.latencyWarmup} warm-up; fresh worker +${o.latencyFreshWarmup}), ` +
      `${o.latencyGapMs} ms apart, worker concurrency ${o.latencyConcurrency}; redelivery: ${o.redeliveryJobMs} ms jobs, concurrency 1, ${o.redeliveryRepeats} run(s), ` +
      `recovery settings ${o.redeliveryTimeoutMs === undefined ? "at each library's default" : `lowered to ${o.redeliveryTimeoutMs} ms`}; ${o.repeats} run(s) each, libraries interleaved, median (min–max) reported; ` +
      `a run disturbed by other processes (> ${NOISY_PCT}% of the machine) measured again up to ${o.noisyRetries} time(s)`,
  );

  if (throughputs.some(([, r]) => Object.keys(r).length)) {
    out.push("", "Runs (jobs/s):");
    const rows: string[][] = [["scenario", "library", ...runHeaders(o.repeats), "median", "others' CPU per run"]];
    for (const [name, results] of throughputs) {
      for (const lib of libs) {
        const r = results[lib];
        if (r) rows.push([name, LIB_LABEL[lib], ...r.runs.map((x) => int(x.jobsPerSec)), int(r.median), r.runs.map((x) => `${x.otherCpuPct.toFixed(0)}%`).join(" ")]);
      }
    }
    out.push(...table(rows, 2));

    out.push("", "CPU per 1,000 jobs, median over runs (ms; the measured producer/worker process, and redis-server):");
    const cpuRows: string[][] = [["scenario", "library", "client CPU", "Redis CPU", "client busy", "RSS idle (MB)", "RSS at end (MB)"]];
    for (const [name, results] of throughputs) {
      for (const lib of libs) {
        const r = results[lib];
        if (!r) continue;
        const runs = r.runs;
        const per1k = (f: (x: ThroughputRun) => number) => median(runs.map((x) => (1000 * f(x)) / x.jobs)).toFixed(2);
        const busy = median(runs.map((x) => (100 * x.clientCpuMs) / x.elapsedMs));
        const rss = (f: (x: ThroughputRun) => number | undefined) => {
          const values = runs.map(f).filter((x): x is number => x !== undefined);
          return values.length ? median(values).toFixed(0) : "-";
        };
        cpuRows.push([name, LIB_LABEL[lib], per1k((x) => x.clientCpuMs), per1k((x) => x.redisCpuMs), `${busy.toFixed(0)}%`, rss((x) => x.rssIdleMb), rss((x) => x.rssEndMb)]);
      }
    }
    out.push(...table(cpuRows, 2));
  }
  const noisy = [
    ...throughputs.flatMap(([s, results]) => libs.flatMap((l) => (results[l]?.runs ?? []).map((r, i) => ({ what: `${s} ${LIB_LABEL[l]} run ${i + 1}`, pct: r.otherCpuPct })))),
    ...libs.flatMap((l) => (report.latency[l]?.runs ?? []).map((r, i) => ({ what: `latency ${LIB_LABEL[l]} run ${i + 1}`, pct: r.otherCpuPct }))),
    ...libs.flatMap((l) => (report.latencyFresh[l]?.runs ?? []).map((r, i) => ({ what: `latency-fresh ${LIB_LABEL[l]} run ${i + 1}`, pct: r.otherCpuPct }))),
  ].filter((x) => x.pct > NOISY_PCT);
  if (noisy.length) {
    out.push(
      "",
      `WARNING: other processes used more than ${NOISY_PCT}% of the machine during ${noisy.length} run(s); their numbers are unreliable:`,
      `  ${noisy.map((x) => `${x.what} (${x.pct.toFixed(0)}%)`).join(", ")}`,
    );
  }
  const latencies = [
    ["warm", `worker warmed up by ${o.latencyWarmup} messages`, report.latency],
    ["fresh", `freshly started worker, ${o.latencyFreshWarmup} warm-up messages`, report.latencyFresh],
  ] as const;
  for (const [, title, results] of latencies) {
    if (!Object.keys(results).length) continue;
    out.push("", `Latency runs, ${title} (send start → actor start, ms):`);
    const rows: string[][] = [["library", "run", "p50", "p90", "p99", "max", "mean", "clock skew", "others' CPU"]];
    for (const lib of libs) {
      const r = results[lib];
      if (!r) continue;
      r.runs.forEach((x, i) => rows.push([LIB_LABEL[lib], String(i + 1), ms(x.p50), ms(x.p90), ms(x.p99), ms(x.max), ms(x.mean), ms(x.clockSkewMs), `${x.otherCpuPct.toFixed(0)}%`]));
    }
    out.push(...table(rows, 2));
  }
  if (Object.keys(report.redelivery).length) {
    out.push("", "Redelivery runs (SIGKILL of a worker 50 ms into a job → that job's handler starting again in a fresh worker, s):");
    const rows: string[][] = [["library", "decided by", ...runHeaders(o.redeliveryRepeats), "fresh worker started", "killed job's starts"]];
    for (const lib of libs) {
      const r = report.redelivery[lib];
      if (!r) continue;
      rows.push([
        LIB_LABEL[lib],
        r.setting,
        ...r.runs.map((x) => sec(x.redeliveryMs)),
        `${sec(median(r.runs.map((x) => x.workerStartedMs)))} (median)`,
        r.runs.map((x) => String(x.killedJobStarts)).join(" "),
      ]);
    }
    out.push(...table(rows, 2));
  }

  out.push("", "Final table (median, min–max in brackets; ratios of medians say how many times better @q is: throughput @q÷other, latency and redelivery other÷@q):");
  const others = libs.filter((l): l is Exclude<Lib, "q"> => l !== "q");
  const header = ["scenario", ...libs.map((l) => LIB_LABEL[l]), ...others.map((l) => `@q vs ${LIB_LABEL[l]}`)];
  const rows: string[][] = [header];
  const throughputRow = (name: string, results: Partial<Record<Lib, ThroughputResult>>, ratios: Ratios) => {
    if (!Object.keys(results).length) return;
    rows.push([name, ...libs.map((l) => throughputCell(results[l])), ...others.map((l) => ratio(ratios[l]))]);
  };
  throughputRow("bulk enqueue (jobs/s)", report.enqueue, report.ratios.enqueue);
  for (const [key, d] of Object.entries(report.drain)) throughputRow(`drain ${key} (jobs/s)`, d, report.ratios.drain[key] ?? {});
  for (const [name, , results] of latencies) {
    if (!Object.keys(results).length) continue;
    for (const stat of ["p50", "p90", "p99", "max"] as const) {
      const q = results.q?.median[stat];
      rows.push([
        `latency ${name} ${stat} (ms)`,
        ...libs.map((l) => latencyCell(results[l], stat)),
        ...others.map((l) => {
          const other = results[l]?.median[stat];
          return ratio(q !== undefined && other !== undefined ? other / q : undefined);
        }),
      ]);
    }
  }
  if (Object.keys(report.redelivery).length) {
    rows.push(["redelivery after SIGKILL (s)", ...libs.map((l) => redeliveryCell(report.redelivery[l])), ...others.map((l) => ratio(report.ratios.redelivery[l]))]);
  }
  out.push(...table(rows, 2));

  out.push("", "Targets:");
  for (const t of report.targets) {
    const verdict = t.met === null ? "n/a (library not run)" : t.met ? "MET" : "MISSED";
    const actual = t.actual === null ? "-" : t.description.includes("ms") ? `${t.actual.toFixed(3)} ms` : `${t.actual.toFixed(2)}×`;
    out.push(`  ${t.description.padEnd(36)} actual ${actual.padEnd(10)} ${verdict}`);
  }
  if (report.profiles.length) out.push("", `CPU profiles: ${report.profiles.map((p) => p.file).join(", ")}`);
  return out.join("\n");
}

function runHeaders(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `run ${i + 1}`);
}

function latencyCell(r: LatencyResult | undefined, stat: "p50" | "p90" | "p99" | "max"): string {
  if (!r) return "-";
  const values = r.runs.map((x) => x[stat]);
  return `${ms(r.median[stat])} (${ms(Math.min(...values))}–${ms(Math.max(...values))})`;
}

function redeliveryCell(r: RedeliveryResult | undefined): string {
  if (!r) return "-";
  const values = r.runs.map((x) => x.redeliveryMs);
  return `${sec(r.medianMs)} (${sec(Math.min(...values))}–${sec(Math.max(...values))})`;
}

function sec(xMs: number): string {
  return (xMs / 1000).toFixed(2);
}

function throughputCell(r: ThroughputResult | undefined): string {
  if (!r) return "-";
  const values = r.runs.map((x) => x.jobsPerSec);
  return `${int(r.median)} (${int(Math.min(...values))}–${int(Math.max(...values))})`;
}

function int(x: number): string {
  return Math.round(x).toLocaleString("en-US");
}

function ms(x: number): string {
  return x.toFixed(3);
}

function ratio(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? "-" : `${x.toFixed(2)}×`;
}

/** Left-aligns the first column and right-aligns the rest; a rule under the header. */
function table(rows: string[][], indent: number): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  const pad = " ".repeat(indent);
  const line = (r: string[]) => pad + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ");
  return [line(rows[0]!), pad + widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)];
}
