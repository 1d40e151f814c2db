// What @q prints in a user's own process (not under `q`) when no logger is passed: nothing below
// warn, Dramatiq's text lines, JSON when Q_LOG_FORMAT asks for it. Each case runs a small
// script in a fresh node process, as a user's script would run.
import { spawn } from "node:child_process";
import path from "node:path";

const DEMO = path.resolve(__dirname, "..");
const LINE_START = /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] \[PID \d+\] \[MainThread\] /;

/** A script that sends `send` to an actor whose body is `body`, runs it on a worker, and stops. */
function script(body: string, send = "await job.send('Ada');"): string {
  return `
    const { StubBroker } = require("@q/broker-stub");
    const { actor, Worker } = require("@q/core");
    const broker = new StubBroker();
    const job = actor(async function job(name) { ${body} }, { broker });
    (async () => {
      const worker = new Worker(broker, { timeout: 50 });
      await worker.start();
      ${send}
      await broker.join(job.queueName);
      await worker.stop();
    })().catch((error) => { console.error("script failed:", error); process.exitCode = 1; });
  `;
}

/** Runs `code` with node in the demo's folder (so `@q/*` resolve), the log variables unset unless given. */
function runScript(code: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (!("LOG_LEVEL" in env)) delete childEnv.LOG_LEVEL;
  if (!("Q_LOG_FORMAT" in env)) delete childEnv.Q_LOG_FORMAT;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", code], { cwd: DEMO, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (exitCode) => resolve({ code: exitCode, stdout, stderr }));
  });
}

const RETURNS_A_VALUE = "return name.length;";
const WARNING = "Actor 'job' returned a value that is not undefined, but no results middleware stores it. The value has been discarded.";

test("a script that sends a message and runs it on a worker prints nothing", async () => {
  const run = await runScript(script(""));
  expect(run).toEqual({ code: 0, stdout: "", stderr: "" });
}, 30_000);

test("a warning is printed as one of Dramatiq's text lines on stderr", async () => {
  const run = await runScript(script(RETURNS_A_VALUE));
  expect(run.code).toBe(0);
  expect(run.stdout).toBe("");
  const lines = run.stderr.split("\n");
  expect(lines).toHaveLength(2); // one line and the final newline
  expect(lines[0]).toMatch(LINE_START);
  expect(lines[0]!.replace(LINE_START, "")).toBe(`[default.job] [WARNING] ${WARNING}`);
  expect(lines[1]).toBe("");
}, 30_000);

test("Q_LOG_FORMAT=json prints pino's JSON lines instead", async () => {
  const run = await runScript(script(RETURNS_A_VALUE), { Q_LOG_FORMAT: "json" });
  expect(run.code).toBe(0);
  expect(run.stdout).toBe("");
  const records = run.stderr
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(records).toEqual([expect.objectContaining({ level: 40, name: "default.job", msg: WARNING })]);
}, 30_000);

test("LOG_LEVEL=info prints the info lines too, as text", async () => {
  const run = await runScript(script(""), { LOG_LEVEL: "info" });
  expect(run.code).toBe(0);
  expect(run.stdout).toBe("");
  expect(run.stderr.trim().split("\n").map((line) => line.replace(LINE_START, ""))).toEqual([
    "[q.worker.Worker] [INFO] Shutting down...",
    "[q.worker.Worker] [INFO] Worker has been shut down.",
  ]);
}, 30_000);

test("a Q_LOG_FORMAT it does not know fails the first broker with a ConfigurationError", async () => {
  const run = await runScript(script(""), { Q_LOG_FORMAT: "yaml" });
  expect(run.code).not.toBe(0);
  expect(run.stdout).toBe("");
  expect(run.stderr).toContain('ConfigurationError: Q_LOG_FORMAT must be "text" or "json", got "yaml".');
}, 30_000);
