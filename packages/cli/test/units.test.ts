// Pure pieces of the CLI: the log line format, globs, module references, broker duck typing, arguments.
import path from "node:path";
import { RedisBroker } from "@q/broker-redis";
import pino from "pino";
import { formatLine } from "../src";
import { isBrokerLike } from "../src/modules/isBrokerLike";
import { resolveModuleFile } from "../src/modules/resolveModuleFile";
import { parseArgs } from "../src/parseArgs";
import { splitModuleRef } from "../src/splitModuleRef";
import { globToRegExp } from "../src/watch/globToRegExp";
import { FIXTURES } from "./support/runQ";

test("formatLine writes Dramatiq's layout, the stack on the next lines, other fields as JSON", () => {
  const time = new Date(2026, 10, 21, 7, 35, 55, 775).getTime();
  expect(formatLine({ level: 30, time, pid: 16927, hostname: "h", name: "q.MainProcess", msg: "q '0.1.0' is booting up." })).toBe(
    "[2026-11-21 07:35:55,775] [PID 16927] [MainThread] [q.MainProcess] [INFO] q '0.1.0' is booting up.",
  );
  expect(formatLine({ level: 40, time, pid: 1, name: "a", msg: "m", queue: "default" })).toBe(
    '[2026-11-21 07:35:55,775] [PID 1] [MainThread] [a] [WARNING] m {"queue":"default"}',
  );
  expect(formatLine({ level: 60, time, pid: 1, msg: "boom", err: { stack: "Error: boom\n    at x" } })).toBe(
    "[2026-11-21 07:35:55,775] [PID 1] [MainThread] [q] [CRITICAL] boom\nError: boom\n    at x",
  );
});

test("globToRegExp: ** spans directories, * and ? stay in one name, braces, base-name patterns", () => {
  const m = (glob: string, file: string) => globToRegExp(glob).test(file);
  expect(m("**/*.{js,ts}", "a.ts")).toBe(true);
  expect(m("**/*.{js,ts}", "src/deep/a.js")).toBe(true);
  expect(m("**/*.{js,ts}", "src/a.json")).toBe(false);
  expect(m("src/*.js", "src/a.js")).toBe(true);
  expect(m("src/*.js", "src/sub/a.js")).toBe(false);
  expect(m("dist/**", "dist/a/b.js")).toBe(true);
  expect(m("*.log", "logs/today.log")).toBe(true);
  expect(m("?.js", "ab.js")).toBe(false);
  expect(m("a+b.js", "a+b.js")).toBe(true);
});

test("splitModuleRef splits at the last colon before an identifier path only", () => {
  expect(splitModuleRef("./dist/broker.js")).toEqual({ specifier: "./dist/broker.js" });
  expect(splitModuleRef("./dist/app.js:queue.broker")).toEqual({ specifier: "./dist/app.js", exportPath: "queue.broker" });
  expect(splitModuleRef("file:///srv/app/broker.js")).toEqual({ specifier: "file:///srv/app/broker.js" });
  expect(splitModuleRef("@acme/jobs:broker")).toEqual({ specifier: "@acme/jobs", exportPath: "broker" });
});

test("isBrokerLike goes by shape, not class", () => {
  const broker = new RedisBroker({ logger: pino({ level: "silent" }), redisOptions: { lazyConnect: true } });
  expect(isBrokerLike(broker)).toBe(true);
  expect(isBrokerLike({ ...Object.fromEntries(["consume", "enqueue"].map((k) => [k, () => 1])) })).toBe(false);
  expect(isBrokerLike(null)).toBe(false);
  expect(isBrokerLike(() => broker)).toBe(false);
  void broker.close();
});

test("resolveModuleFile tries each --path directory, leaves out extensions, finds packages", () => {
  expect(resolveModuleFile("broker", [FIXTURES])).toBe(path.join(FIXTURES, "broker.js"));
  expect(resolveModuleFile("tasks.js", ["/nonexistent", FIXTURES])).toBe(path.join(FIXTURES, "tasks.js"));
  expect(resolveModuleFile("@q/core", [FIXTURES])).toMatch(/core[\\/]dist[\\/]index\.js$/);
  expect(() => resolveModuleFile("nope", [FIXTURES])).toThrow(`Cannot find module 'nope' (looked in ${FIXTURES}).`);
});

test("parseArgs: defaults, repeatable flags, environment tuning under @q's and Dramatiq's names", () => {
  const parsed = parseArgs(["b.js", "m1.js", "m2.js", "-Q", "a", "-Q", "b", "-P", "src", "-v"], { dramatiq_worker_timeout: "250", Q_QUEUE_PREFETCH: "3" }, "/srv");
  expect(parsed.kind).toBe("run");
  if (parsed.kind !== "run") return;
  expect(parsed.options).toMatchObject({
    broker: { specifier: "b.js" },
    modules: ["m1.js", "m2.js"],
    threads: 8,
    queues: ["a", "b"],
    path: ["/srv/src"],
    log: { format: "text", level: "debug" },
    workerShutdownTimeout: 600_000,
    tuning: { timeout: 250, prefetch: 3 },
  });
  expect(() => parseArgs(["b.js"], { Q_RESTART_DELAY: "soon" })).toThrow('Q_RESTART_DELAY must be an integer from 0 to 2147483647, got "soon".');
  expect(() => parseArgs(["b.js", "--log-format", "xml"])).toThrow(/Invalid values/);
});
