// Pure pieces of the CLI: the log line format, globs, module references, broker duck typing, arguments.
import path from "node:path";
import { RedisBroker } from "@q/broker-redis";
import pino from "pino";
import { formatLine } from "../src";
import { isBrokerLike } from "../src/modules/isBrokerLike";
import { resolveModuleFile } from "../src/modules/resolveModuleFile";
import { parseArgs } from "../src/parseArgs";
import { splitModuleRef } from "../src/splitModuleRef";
import { compileGlobs } from "../src/watch/compileGlobs";
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

test("watch globs: ** spans directories, * and ? stay in one name, braces, base-name globs", () => {
  const m = (glob: string, file: string) => compileGlobs([glob])(file);
  expect(m("**/*.{js,ts}", "a.ts")).toBe(true);
  expect(m("**/*.{js,ts}", "src/deep/a.js")).toBe(true);
  expect(m("**/*.{js,ts}", "src/a.json")).toBe(false);
  expect(m("src/**/*.ts", "src/a/b/c/d.ts")).toBe(true);
  expect(m("src/**/*.ts", "lib/src/d.ts")).toBe(false);
  expect(m("src/*.js", "src/a.js")).toBe(true);
  expect(m("src/*.js", "src/sub/a.js")).toBe(false);
  expect(m("dist/**", "dist/a/b.js")).toBe(true);
  expect(m("*.log", "logs/today.log")).toBe(true);
  expect(m("?.js", "ab.js")).toBe(false);
  expect(m("a+b.js", "a+b.js")).toBe(true);
});

test("watch globs: [ab] classes, backslash escapes", () => {
  const m = (glob: string, file: string) => compileGlobs([glob])(file);
  expect(m("src/[ab].js", "src/a.js")).toBe(true);
  expect(m("src/[ab].js", "src/b.js")).toBe(true);
  expect(m("src/[ab].js", "src/c.js")).toBe(false);
  expect(m("v[0-9].ts", "lib/v7.ts")).toBe(true);
  expect(m("\\*.js", "*.js")).toBe(true);
  expect(m("\\*.js", "a.js")).toBe(false);
  expect(m("\\[x\\].js", "[x].js")).toBe(true);
  expect(m("\\[x\\].js", "x.js")).toBe(false);
});

test("watch globs: a leading ! takes files back out; a list of only ! globs starts from every file", () => {
  const tsNotTests = compileGlobs(["**/*.ts", "!**/*.test.ts"]);
  expect(tsNotTests("src/a.ts")).toBe(true);
  expect(tsNotTests("src/a.test.ts")).toBe(false);
  expect(tsNotTests("src/a.js")).toBe(false);
  const onlySrc = compileGlobs(["!src/**"]); // as an exclude list: everything outside src
  expect(onlySrc("lib/a.js")).toBe(true);
  expect(onlySrc("src/a.js")).toBe(false);
  expect(compileGlobs(["*.md", "!!README.md"])("docs/README.md")).toBe(true); // !! cancels out
  expect(compileGlobs(["!(*.md)"])("a.js")).toBe(true); // an extglob, not a negation
  expect(compileGlobs(["!(*.md)"])("a.md")).toBe(false);
  expect(compileGlobs([])("a.js")).toBe(false);
  expect(() => compileGlobs(["**/*.ts", "!"])).toThrow('"!" is an empty glob.');
});

test("watch globs: dotfiles and dot-directories match only globs that name the dot", () => {
  const m = (glob: string, file: string) => compileGlobs([glob])(file);
  expect(m("*.ts", ".eslintrc.ts")).toBe(false);
  expect(m("*.ts", "src/.hidden.ts")).toBe(false);
  expect(m("**/*.{js,mjs,cjs,ts,mts,cts,json}", ".cache/a.js")).toBe(false);
  expect(m("**/*.{js,mjs,cjs,ts,mts,cts,json}", ".prettierrc.json")).toBe(false);
  expect(m(".env", ".env")).toBe(true);
  expect(m(".env", "config/.env")).toBe(true);
  expect(m(".config/**", ".config/app.ts")).toBe(true);
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
  expect(() => parseArgs(["b.js", "--watch", ".", "-x", "!"])).toThrow('--watch-exclude: "!" is an empty glob.');
});

test("parseArgs: the log format is --log-format, else Q_LOG_FORMAT (as outside q), else text", () => {
  const format = (argv: string[], env: NodeJS.ProcessEnv) => {
    const parsed = parseArgs(["b.js", ...argv], env);
    return parsed.kind === "run" ? parsed.options.log.format : undefined;
  };
  expect(format([], {})).toBe("text");
  expect(format([], { Q_LOG_FORMAT: "" })).toBe("text");
  expect(format([], { Q_LOG_FORMAT: "json" })).toBe("json");
  expect(format(["--log-format", "text"], { Q_LOG_FORMAT: "json" })).toBe("text");
  expect(format(["--log-format", "json"], {})).toBe("json");
  expect(() => parseArgs(["b.js"], { Q_LOG_FORMAT: "xml" })).toThrow('Q_LOG_FORMAT must be "text" or "json", got "xml".');
  expect(() => parseArgs(["b.js", "--watch", ".", "-i", ""])).toThrow('--watch-include: "" is an empty glob.');
});
