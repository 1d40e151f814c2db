// Exit codes 0-4 (spec 13), one clear line per mistake, PID files (spec 17.1 items 49-50).
import fs from "node:fs";
import path from "node:path";
import { waitFor } from "@q/test-support";
import { version as VERSION } from "../src/version";
import { FIXTURES, READY, waitReady } from "./support/runQ";
import { useQ } from "./support/useQ";

const t = useQ();
let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(FIXTURES, "..", "tmp-"))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Non-empty stderr lines. */
const printed = (lines: string[]) => lines.filter(Boolean);

test("--help prints the usage and exits 0; --version prints the version", async () => {
  const help = t.q(["--help"]);
  expect(await help.exitCode()).toBe(0);
  const text = help.stdout.join("\n");
  expect(text).toContain("Usage: q <broker> [modules..]");
  expect(text).toContain("--threads");
  expect(text).toContain("not OS threads");
  expect(text).toContain("Exit codes: 0 stopped gracefully, 1 killed");
  const version = t.q(["--version"]);
  expect(await version.exitCode()).toBe(0);
  expect(version.stdout[0]).toBe(VERSION);
});

test.each([
  [["broker.js", "--bogus"], "q: error: Unknown argument: bogus (see q --help)"],
  [[], "q: error: name the module that makes your broker, e.g. q ./dist/broker.js (see q --help)."],
  [["broker.js", "-p", "0"], "q: error: --processes must be an integer from 1 to 1024, got 0."],
  [["broker.js", "--watch", "no-such-dir"], "q: error: --watch: no-such-dir is not a directory."],
  [["broker.js", "-f", "tasks.js"], 'q: error: --fork-function takes module:function, got "tasks.js".'],
])("bad arguments %j: one line, exit 2", async (args, line) => {
  const q = t.q(args);
  expect(await q.exitCode()).toBe(2);
  expect(printed(q.lines)).toEqual([line]);
});

// 49. test_cli_fails_to_start_given_an_invalid_broker_name
test("a broker module that does not exist: one line, exit 2, nothing started", async () => {
  const q = t.q(["nope.js"]);
  expect(await q.exitCode()).toBe(2);
  expect(printed(q.lines)).toEqual([`q: error: Cannot find module 'nope.js' (looked in ${FIXTURES}).`]);
});

test.each([
  [["broker.js:missing"], "Module 'broker.js' does not export 'missing'."],
  [["broker.js:notABroker"], "'notABroker' of module 'broker.js' is not a broker (got an object)."],
  [["broker.js:makeNothing", "-p", "1"], ""], // sets up nothing, but the module set the global broker: it runs
  [["broker.js", "broken.js"], "Cannot import 'broken.js': Error: the actors module failed at import"],
])("broker export %j: one critical line, exit 2", async (args, message) => {
  const q = t.q(args);
  if (!message) {
    await waitReady(q);
    q.proc.kill("SIGTERM");
    expect(await q.exitCode()).toBe(0);
    return;
  }
  expect(await q.exitCode()).toBe(2);
  expect(q.matching(/\[CRITICAL\]/)).toEqual([expect.stringMatching(new RegExp(`\\[q\\.MainProcess\\] \\[CRITICAL\\] ${escape(message)}$`))]);
});

test("a Redis that cannot be reached at boot (default timeouts): exit 3 after connectTimeout, no process ready, no line twice", async () => {
  // Nothing listens on port 1. The RedisBroker's default connectTimeout is 5 s.
  const started = Date.now();
  const q = t.q(["broker.js", "tasks.js", "-p", "2"], { env: { REDIS_URL: "redis://127.0.0.1:1" } });
  expect(await q.exitCode(40_000)).toBe(3);
  expect(Date.now() - started).toBeGreaterThanOrEqual(5000);
  expect(q.matching(READY)).toEqual([]);
  expect(q.matching(/\[q\.MainProcess\] \[CRITICAL\]/)).toEqual([
    expect.stringContaining("[CRITICAL] Broker connection failed: Could not connect to Redis within 5000 ms: connect ECONNREFUSED 127.0.0.1:1."),
  ]);
  // Each process's consumers (default, default.DQ) log their error at most once each; the
  // process that failed first logs both (the other may be stopped before its consumers fail).
  const errors = q.matching(/Consumer encountered a connection error/).map((l) => /\[PID (\d+)\].*\[(q\.worker\.ConsumerThread\([^)]*\))\]/.exec(l)!.slice(1).join(" "));
  expect(new Set(errors).size).toBe(errors.length);
  expect(errors.length).toBeGreaterThanOrEqual(2);
}, 45_000);

test("TERM while the workers are still connecting to an unreachable Redis: exit 0 at once, never ready", async () => {
  const q = t.q(["broker.js", "tasks.js", "-p", "2"], { env: { REDIS_URL: "redis://127.0.0.1:1" } });
  await waitFor("the workers to try Redis", () => q.matching(/Redis connection error: connect ECONNREFUSED 127\.0\.0\.1:1/).length > 0, { timeout: 10_000 });
  const signalled = Date.now();
  q.proc.kill("SIGTERM");
  expect(await q.exitCode(20_000)).toBe(0);
  expect(Date.now() - signalled).toBeLessThan(2500); // neither connectTimeout (5 s) nor a close grace
  expect(q.matching(READY)).toEqual([]);
  expect(q.matching(/\[CRITICAL\]/)).toEqual([]);
}, 30_000);

test("TERM while the worker processes are still loading their modules: exit 0, a graceful stop", async () => {
  // Right after the supervisor's first line its children have just been forked: they have no
  // SIGTERM handler yet, so TERM ends them by the signal, with nothing running.
  const q = t.q(["broker.js", "tasks.js", "-p", "2"]);
  await q.line(/is booting up\.$/);
  q.proc.kill("SIGTERM");
  expect(await q.exitCode(20_000)).toBe(0);
  expect(q.matching(READY)).toEqual([]);
  expect(q.matching(/\[CRITICAL\]/)).toEqual([]);
}, 30_000);

describe("--pid-file", () => {
  test("is written with the supervisor's PID (mode 0644) and removed at exit", async () => {
    const pidFile = path.join(dir, "q.pid");
    const q = t.q(["broker.js", "-p", "1", "--pid-file", pidFile]);
    await waitReady(q);
    expect(fs.readFileSync(pidFile, "utf8")).toBe(String(q.pid));
    expect(fs.statSync(pidFile).mode & 0o777).toBe(0o644);
    q.proc.kill("SIGTERM");
    expect(await q.exitCode()).toBe(0);
    expect(fs.existsSync(pidFile)).toBe(false);
  });

  // 50. test_cli_aborts_when_pidfile_contains_garbage
  test("holding garbage: exit 4, the file is left alone", async () => {
    const pidFile = path.join(dir, "q.pid");
    fs.writeFileSync(pidFile, "not a pid");
    const q = t.q(["broker.js", "--pid-file", pidFile]);
    expect(await q.exitCode()).toBe(4);
    expect(q.matching(/\[CRITICAL\]/)).toEqual([expect.stringContaining(`The PID file ${pidFile} holds "not a pid", not a PID; remove it if no q is running.`)]);
    expect(fs.readFileSync(pidFile, "utf8")).toBe("not a pid");
  });

  test("naming a running process: exit 4", async () => {
    const pidFile = path.join(dir, "q.pid");
    fs.writeFileSync(pidFile, String(process.pid));
    const q = t.q(["broker.js", "--pid-file", pidFile]);
    expect(await q.exitCode()).toBe(4);
    expect(q.matching(/\[CRITICAL\]/)).toEqual([expect.stringContaining(`q is already running with PID ${process.pid} (PID file ${pidFile}).`)]);
  });

  test("stale (its process is gone): replaced", async () => {
    const pidFile = path.join(dir, "q.pid");
    fs.writeFileSync(pidFile, "999999");
    const q = t.q(["broker.js", "-p", "1", "--pid-file", pidFile]);
    await waitReady(q);
    expect(fs.readFileSync(pidFile, "utf8")).toBe(String(q.pid));
    expect(q.matching(/Removing the stale PID file/)).toHaveLength(1);
    q.proc.kill("SIGTERM");
    expect(await q.exitCode()).toBe(0);
  });

  test("in a directory that does not exist: exit 4", async () => {
    const q = t.q(["broker.js", "--pid-file", path.join(dir, "missing", "q.pid")]);
    expect(await q.exitCode()).toBe(4);
    expect(q.matching(/\[CRITICAL\] Cannot write the PID file /)).toHaveLength(1);
  });
});

test("a worker killed from outside is reported and restarted; q goes on working", async () => {
  const q = t.q(["broker.js", "tasks.js", "-p", "1"]);
  await waitReady(q);
  const pid = Number(/\[PID (\d+)\]/.exec(q.matching(/ready for action/)[0]!)![1]);
  process.kill(pid, "SIGKILL");
  await q.line(new RegExp(`\\[CRITICAL\\] Worker process 0 \\(PID ${pid}\\) exited unexpectedly \\(signal SIGKILL\\); restarting it`));
  await waitReady(q, 2);
  await t.send("stamp", ["after"]);
  const stamped = await waitFor("a stamp from the new process", async () => (await t.events())[0]);
  expect(stamped).toMatch(/^after:v1:\d+$/);
  expect(stamped.endsWith(`:${pid}`)).toBe(false);
  q.proc.kill("SIGTERM");
  expect(await q.exitCode()).toBe(0);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
