/**
 * The boot scenario: how long a worker takes from spawn to "ready for action", for the real
 * `q` CLI (1 process, a Redis broker module) against two floors, `node -e ""` spawn-to-exit (what
 * starting Node at all costs here) and a Node that forks a Node, to the child's ready line (what
 * `q`'s supervisor-and-worker shape costs with nothing loaded), and, when a Python with Dramatiq
 * is given, the `dramatiq` CLI's own ready line. Contestants are interleaved, one spawn at a time.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { RedisAdmin } from "../redisAdmin";
import { median } from "../stats";

export const BOOT_CONTESTANTS = ["node -e", "node fork", "q", "dramatiq"] as const;
export type BootContestant = (typeof BOOT_CONTESTANTS)[number];

export interface BootOptions {
  redisUrl: string;
  repeats: number;
  /** A Python with dramatiq and redis installed (the interop venv's); without it, no dramatiq row. */
  python?: string;
  /** The built `q` binary (default: @q/cli's dist/bin.js). */
  qBin: string;
  /** The broker module `q` loads (default: this package's dist/boot/bootBroker.js). */
  brokerModule: string;
  /** The `node fork` floor's script (default: this package's dist/boot/forkFloor.js). */
  forkFloorModule: string;
  timeoutMs: number;
  log: (line: string) => void;
}

export interface BootResult {
  contestant: BootContestant;
  /** Spawn → ready line (node fork, q, dramatiq) or → exit (node -e), ms, one per run. */
  runs: number[];
  median: number;
  min: number;
  max: number;
}

export interface BootReport {
  startedAt: string;
  environment: { node: string; cpus: number; cpuModel: string; loadavgBefore: number[]; loadavgAfter: number[]; python?: string; dramatiq?: string };
  repeats: number;
  results: BootResult[];
}

const READY = /ready for action/;

/** Defaults: the workspace's built `q` and broker module, 5 runs. */
export function bootOptions(overrides: Partial<BootOptions> = {}): BootOptions {
  return {
    redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    repeats: 5,
    python: process.env.INTEROP_PYTHON || undefined,
    qBin: qBinPath(),
    brokerModule: path.join(__dirname, "bootBroker.js"),
    forkFloorModule: path.join(__dirname, "forkFloor.js"),
    timeoutMs: 60_000,
    log: (line) => process.stderr.write(`[bench boot] ${line}\n`),
    ...overrides,
  };
}

/** @q/cli's bin (its package exports only "."), resolved through its package.json like npm's bin link. */
function qBinPath(): string {
  const pkgFile = require.resolve("@q/cli/package.json");
  const pkg = JSON.parse(fs.readFileSync(pkgFile, "utf8")) as { bin: Record<string, string> };
  return path.join(path.dirname(pkgFile), pkg.bin.q!);
}

/** Runs every contestant `repeats` times, rotating the order each round. */
export async function runBoot(options: BootOptions): Promise<BootReport> {
  const startedAt = new Date().toISOString();
  const loadavgBefore = os.loadavg();
  const contestants = BOOT_CONTESTANTS.filter((c) => c !== "dramatiq" || options.python);
  const runs = new Map<BootContestant, number[]>(contestants.map((c) => [c, []]));
  const admin = new RedisAdmin(options.redisUrl);
  await admin.connect();
  const pyDir = options.python ? writeDramatiqModule() : undefined;
  try {
    for (let rep = 0; rep < options.repeats; rep++) {
      for (const c of rotate(contestants, rep)) {
        const namespace = `qbench-boot-${randomBytes(3).toString("hex")}`;
        try {
          const ms = await bootOnce(c, options, namespace, pyDir);
          runs.get(c)!.push(ms);
          options.log(`${c} run ${rep + 1}/${options.repeats}: ${ms.toFixed(1)} ms`);
        } finally {
          await admin.deleteKeys(namespace);
        }
      }
    }
  } finally {
    await admin.close();
    if (pyDir) fs.rmSync(pyDir, { recursive: true, force: true });
  }
  return {
    startedAt,
    environment: {
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? "unknown",
      loadavgBefore,
      loadavgAfter: os.loadavg(),
      python: options.python,
      dramatiq: options.python ? dramatiqVersion(options.python) : undefined,
    },
    repeats: options.repeats,
    results: contestants.map((contestant) => {
      const r = runs.get(contestant)!;
      return { contestant, runs: r, median: median(r), min: Math.min(...r), max: Math.max(...r) };
    }),
  };
}

/** One spawn, timed; the process is stopped (SIGTERM, then SIGKILL) before this resolves. */
async function bootOnce(c: BootContestant, o: BootOptions, namespace: string, pyDir: string | undefined): Promise<number> {
  const env = { ...process.env, REDIS_URL: o.redisUrl, Q_BENCH_NAMESPACE: namespace };
  const t0 = performance.now();
  if (c === "node -e") {
    const proc = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    await new Promise<void>((resolve, reject) => {
      proc.on("error", reject);
      proc.on("exit", () => resolve());
    });
    return performance.now() - t0;
  }
  const proc =
    c === "q"
      ? spawn(process.execPath, [o.qBin, o.brokerModule, "-p", "1"], { env, stdio: ["ignore", "ignore", "pipe"] })
      : c === "node fork"
        ? spawn(process.execPath, [o.forkFloorModule], { stdio: ["ignore", "ignore", "pipe"] })
        : spawn(o.python!, ["-m", "dramatiq", "boot_app", "-p", "1", "-t", "1"], { env, cwd: pyDir, stdio: ["ignore", "ignore", "pipe"] });
  try {
    await readyLine(proc, o.timeoutMs, c);
    return performance.now() - t0;
  } finally {
    await stop(proc);
  }
}

/** Resolves at the first stderr line saying "ready for action"; fails if the process exits first. */
function readyLine(proc: ChildProcess, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`${what}: no "ready for action" line in ${timeoutMs} ms; output:\n${seen}`)), timeoutMs);
    proc.stderr!.on("data", (chunk: Buffer) => {
      seen += chunk.toString("utf8");
      if (READY.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code ?? signal}) before it was ready; output:\n${seen}`));
    });
  });
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** The Dramatiq app: a RedisBroker on REDIS_URL / Q_BENCH_NAMESPACE with one no-op actor, like bootBroker.ts. */
function writeDramatiqModule(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qbench-boot-"));
  fs.writeFileSync(
    path.join(dir, "boot_app.py"),
    [
      "import os",
      "import dramatiq",
      "from dramatiq.brokers.redis import RedisBroker",
      "",
      'broker = RedisBroker(url=os.environ["REDIS_URL"], namespace=os.environ["Q_BENCH_NAMESPACE"])',
      "dramatiq.set_broker(broker)",
      "",
      "",
      '@dramatiq.actor(queue_name="boot")',
      "def boot_job():",
      "    pass",
      "",
    ].join("\n"),
  );
  return dir;
}

function dramatiqVersion(python: string): string {
  try {
    return execFileSync(python, ["-c", "import dramatiq; print(dramatiq.__version__)"], { encoding: "utf8" }).trim();
  } catch {
    return "?";
  }
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const k = items.length ? by % items.length : 0;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** The boot table as text. */
export function formatBoot(report: BootReport): string {
  const env = report.environment;
  const out = [
    `@q boot: spawn → "ready for action" (node fork, q, dramatiq) / spawn → exit (node -e), ${report.repeats} interleaved runs each`,
    `Node ${env.node} · ${env.cpus}× ${env.cpuModel}${env.dramatiq ? ` · dramatiq ${env.dramatiq} (${env.python})` : " · no Python given (INTEROP_PYTHON / --python): no dramatiq row"}`,
    `Load average before/after: ${env.loadavgBefore.map((x) => x.toFixed(2)).join(" ")} / ${env.loadavgAfter.map((x) => x.toFixed(2)).join(" ")}`,
    "",
    "  contestant  median ms    min    max  runs",
    "  ----------  ---------  -----  -----  ----",
  ];
  for (const r of report.results) {
    out.push(`  ${r.contestant.padEnd(10)}  ${r.median.toFixed(1).padStart(9)}  ${r.min.toFixed(1).padStart(5)}  ${r.max.toFixed(1).padStart(5)}  ${r.runs.map((x) => x.toFixed(0)).join(" ")}`);
  }
  return out.join("\n");
}
