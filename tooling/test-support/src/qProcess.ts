/**
 * `q` processes for tests: spawn the built binary, wait for its log lines and exit code,
 * kill whatever is left at the end.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";

export interface QRun {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** stderr lines so far (log lines). */
  readonly lines: string[];
  /** stdout lines so far (what actors print). */
  readonly stdout: string[];
  /** Resolves when q has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits for a stderr line matching `pattern` (counting from line `from`); returns it. */
  line(pattern: RegExp, options?: { timeout?: number; from?: number }): Promise<string>;
  /** Lines matching `pattern`. */
  matching(pattern: RegExp): string[];
  /** Waits for the exit code (fails after `timeout`). */
  exitCode(timeout?: number): Promise<number | null>;
}

const running = new Set<ChildProcess>();

/**
 * Spawns `node <bin> ...args` (the built `q` binary: tests run exactly what users run)
 * with `env` over this process's environment, collecting its output line by line.
 *
 * @example
 * const q = spawnQ(require.resolve("@q/cli/dist/bin.js"), ["broker.js", "-p", "1"], { cwd: FIXTURES });
 * await waitReady(q);
 */
export function spawnQ(bin: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; detached?: boolean } = {}): QRun {
  const proc = spawn(process.execPath, [bin, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached,
  });
  running.add(proc);
  const lines: string[] = [];
  const stdout: string[] = [];
  const waiters = new Set<() => void>();
  const collect = (into: string[]) => {
    let partial = "";
    return (chunk: Buffer) => {
      const parts = (partial + chunk.toString("utf8")).split("\n");
      partial = parts.pop()!;
      into.push(...parts);
      for (const wake of waiters) wake();
    };
  };
  proc.stderr!.on("data", collect(lines));
  proc.stdout!.on("data", collect(stdout));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on("close", (code, signal) => {
      running.delete(proc);
      for (const wake of waiters) wake();
      resolve({ code, signal });
    }),
  );
  let done = false;
  void exited.then(() => (done = true));

  const run: QRun = {
    proc,
    pid: proc.pid!,
    lines,
    stdout,
    exited,
    async line(pattern, { timeout = 15_000, from = 0 } = {}) {
      const deadline = Date.now() + timeout;
      for (;;) {
        const found = lines.slice(from).find((l) => pattern.test(l));
        if (found) return found;
        if (done) throw new Error(`q exited without printing ${pattern}; its output:\n${lines.join("\n")}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`Timed out after ${timeout} ms waiting for ${pattern}; q printed:\n${lines.join("\n")}`);
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(wake, Math.min(left, 200));
          waiters.add(wake);
        });
      }
    },
    matching(pattern) {
      return lines.filter((l) => pattern.test(l));
    },
    async exitCode(timeout = 20_000) {
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([exited, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeout)))]);
      clearTimeout(timer);
      if (!result) throw new Error(`q did not exit within ${timeout} ms; it printed:\n${lines.join("\n")}`);
      return result.code;
    },
  };
  return run;
}

/** The direct children of `pid` (Linux: /proc/<pid>/task/<pid>/children); none once it is gone. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(" ").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Kills (SIGKILL) every q started by spawnQ that is still running, and its worker processes
 * (a SIGKILLed supervisor cannot stop them itself); resolves once the supervisors have exited
 * (or after 5 s).
 */
export async function killAllQ(): Promise<void> {
  const procs = [...running];
  running.clear();
  for (const proc of procs) {
    // Children first: once the supervisor is gone they are re-parented and harder to find.
    for (const child of childrenOf(proc.pid!)) {
      try {
        process.kill(child, "SIGKILL");
      } catch {
        // already gone
      }
    }
    proc.kill("SIGKILL");
  }
  // "exit", not "close": a grandchild still holding the pipes would delay "close" without end.
  const gone = (proc: ChildProcess) => (proc.exitCode !== null || proc.signalCode !== null ? undefined : new Promise((resolve) => proc.once("exit", resolve)));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(procs.map(gone)), new Promise((resolve) => (timer = setTimeout(resolve, 5000)))]);
  clearTimeout(timer);
}

/** Ready lines of worker processes. */
export const READY = /\[q\.WorkerProcess\(\d+\)\] \[INFO\] Worker process is ready for action\./;

/** Waits until `count` worker processes have said they are ready. */
export async function waitReady(q: QRun, count = 1, timeout = 15_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (q.matching(READY).length < count) {
    const { code } = await Promise.race([q.exited, sleep(25).then(() => ({ code: undefined }))]);
    if (code !== undefined || Date.now() > deadline) {
      throw new Error(`${q.matching(READY).length} of ${count} workers got ready; q printed:\n${q.lines.join("\n")}`);
    }
  }
}
