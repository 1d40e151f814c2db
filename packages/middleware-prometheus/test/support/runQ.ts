import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { waitFor } from "@q/test-support";

export const FIXTURES = path.resolve(__dirname, "../fixtures");
/** The real q binary (the @q/cli devDependency's build). */
const BIN = path.join(path.dirname(require.resolve("@q/cli/package.json")), "dist", "bin.js");

export interface QRun {
  readonly proc: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<number | null>;
  /** Waits for a log line matching `pattern` among lines after `from`. */
  line(pattern: RegExp, from?: number, timeout?: number): Promise<string>;
  /** PIDs of worker processes that said they are ready, in order. */
  readyPids(): number[];
}

const running = new Set<ChildProcess>();

/** Spawns `q ...args` in the fixtures directory. */
export function runQ(args: readonly string[], env: NodeJS.ProcessEnv): QRun {
  const proc = spawn(process.execPath, [BIN, ...args], { cwd: FIXTURES, env: { ...process.env, LOG_LEVEL: "info", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  running.add(proc);
  const lines: string[] = [];
  let partial = "";
  const onData = (chunk: Buffer) => {
    const parts = (partial + chunk.toString("utf8")).split("\n");
    partial = parts.pop()!;
    lines.push(...parts);
  };
  proc.stderr!.on("data", onData);
  proc.stdout!.on("data", onData);
  const exited = new Promise<number | null>((resolve) => proc.on("close", (code) => (running.delete(proc), resolve(code))));
  return {
    proc,
    lines,
    exited,
    line: (pattern, from = 0, timeout = 20_000) =>
      waitFor(`a line like ${pattern}; q printed:\n${lines.join("\n")}`, () => lines.slice(from).find((l) => pattern.test(l)), { timeout, interval: 25 }),
    readyPids: () => lines.filter((l) => /Worker process is ready for action\./.test(l)).map((l) => Number(/\[PID (\d+)\]/.exec(l)![1])),
  };
}

/** Kills every q still running (SIGKILL to the supervisor; its children stop on disconnect). */
export function killAllQ(): void {
  for (const proc of running) proc.kill("SIGKILL");
  running.clear();
}

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/** A fresh empty file for the actors' events. */
export function eventsFile(): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "q-prom-")), "events");
  fs.writeFileSync(file, "");
  return file;
}
