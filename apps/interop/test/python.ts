/**
 * Runs the project's Python scripts (apps/interop/python/q_interop.py) with the interop
 * environment's python: the real Dramatiq on the other end of the wire.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "@q/test-support";
import { parsePyJson, pyJson } from "./pyJson";

const ROOT = join(__dirname, "..", "..", "..");
const SCRIPT = join(__dirname, "..", "python", "q_interop.py");

/** The python of `.venv-interop/` (`INTEROP_PYTHON` overrides; tooling/scripts/python-env.sh makes it). */
export const PYTHON = process.env.INTEROP_PYTHON ?? join(ROOT, ".venv-interop", "bin", "python");

/** Fails (never skips) when the environment is missing. */
export function requirePython(): void {
  if (!existsSync(PYTHON)) throw new Error(`No interop Python at ${PYTHON}: run bash tooling/scripts/python-env.sh`);
}

/** Runs `q_interop.py <command> <spec>` to the end and returns its stdout lines, parsed. */
export async function runPython<T>(command: "produce" | "produce_many" | "produce_group" | "dead" | "limiter" | "results", spec: object): Promise<T[]> {
  const child = spawn(PYTHON, [SCRIPT, command, pyJson(spec)], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  if (code !== 0) throw new Error(`python q_interop.py ${command} exited with ${code}:\n${stderr}`);
  return stdout.split("\n").filter(Boolean).map((l) => parsePyJson<T>(l));
}

/** A running worker process: `q_interop.py worker`, or a Node script for the @q side. */
export class PythonProcess {
  private stderr = "";
  private killed = false;
  private exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString("utf8")));
    this.exited = new Promise((resolve) => child.on("close", (code) => resolve(code)));
  }

  /** Starts `q_interop.py worker` (or `prometheus`: a worker with Dramatiq's Prometheus middleware) and waits for its "ready" line. */
  static start(spec: object, command: "worker" | "prometheus" = "worker"): Promise<PythonProcess> {
    return PythonProcess.ready(spawn(PYTHON, [SCRIPT, command, pyJson(spec)], { stdio: ["ignore", "pipe", "pipe"] }));
  }

  /** Starts a Node script (the @q side of a kill test) with `spec` as JSON and waits for its "ready" line. */
  static startNode(script: string, spec: object): Promise<PythonProcess> {
    return PythonProcess.ready(spawn(process.execPath, [script, JSON.stringify(spec)], { stdio: ["ignore", "pipe", "pipe"] }));
  }

  private static async ready(child: ChildProcess): Promise<PythonProcess> {
    const p = new PythonProcess(child);
    let stdout = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    let code: number | null | undefined;
    void p.exited.then((c) => (code = c));
    await waitFor("the Python worker's ready line", () => {
      if (code !== undefined) throw new Error(`the Python worker exited with ${code} before it was ready:\n${p.stderr}`);
      return /^"?ready"?$/m.test(stdout);
    }, { timeout: 30_000 });
    return p;
  }

  /** What it wrote on stderr so far (Dramatiq's logs). */
  get logs(): string {
    return this.stderr;
  }

  /** SIGTERM: Dramatiq's worker stops (finishing what runs) and the process exits 0. */
  async stop(): Promise<void> {
    if (this.killed) return;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    const code = await this.exited;
    if (code !== 0) throw new Error(`the Python worker exited with ${code}:\n${this.stderr}`);
  }

  /** SIGKILL: gone at once, nothing acknowledged or requeued. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGKILL");
    this.killed = true;
    await this.exited;
  }
}

/**
 * The complete JSON lines of a file a worker appends to (none yet: empty). A last line without
 * its newline is still being written, so it is left for the next read.
 */
export function readJsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, "utf8").split("\n");
  lines.pop(); // "" after the final newline, or a line not yet written to its end
  return lines.filter(Boolean).map((l) => parsePyJson<T>(l));
}
