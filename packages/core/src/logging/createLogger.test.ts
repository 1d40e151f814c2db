import { ConfigurationError } from "../errors/ConfigurationError";
import { createLogger } from "./createLogger";

const LINE_START = /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] \[PID \d+\] \[MainThread\] /;

test("text lines, Dramatiq's format, are the default; a line is written whole, newline included", () => {
  const lines: string[] = [];
  const logger = createLogger({}, (line) => void lines.push(line));
  logger.child({ name: "q.worker.Worker" }).info("Shutting down...");
  logger.child({ name: "app" }).warn({ queue: "default" }, "slow");
  logger.debug("not written at info");

  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(LINE_START);
  expect(lines[0]!.replace(LINE_START, "")).toBe("[q.worker.Worker] [INFO] Shutting down...\n");
  expect(lines[1]!.replace(LINE_START, "")).toBe('[app] [WARNING] slow {"queue":"default"}\n');
  expect(lines[0]).toContain(`[PID ${process.pid}]`);
});

test("an error's stack follows its line", () => {
  const lines: string[] = [];
  const logger = createLogger({ level: "error" }, (line) => void lines.push(line));
  const err = new Error("boom");
  logger.error({ err }, "Failed to process message add(1, 2) with unhandled exception.");
  expect(lines).toHaveLength(1);
  expect(lines[0]!.replace(LINE_START, "")).toBe(`[q] [ERROR] Failed to process message add(1, 2) with unhandled exception.\n${err.stack}\n`);
});

test("format json writes pino's JSON lines, at the level asked", () => {
  const lines: string[] = [];
  const logger = createLogger({ format: "json", level: "debug" }, (line) => void lines.push(line));
  logger.child({ name: "app" }).debug("hello");
  logger.trace("not written at debug");
  expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([expect.objectContaining({ level: 20, name: "app", msg: "hello", pid: process.pid })]);
});

test("an unknown format or level throws a ConfigurationError that names it", () => {
  expect(() => createLogger({ format: "yaml" as never })).toThrow(ConfigurationError);
  expect(() => createLogger({ format: "yaml" as never })).toThrow('Log format must be "text" or "json", got "yaml".');
  expect(() => createLogger({ level: "loud" })).toThrow(ConfigurationError);
  expect(() => createLogger({ level: "loud" })).toThrow(/Unknown log level "loud": use one of trace, debug, info, warn, error, fatal, silent\./);
  expect(createLogger({ level: "silent" }, () => undefined).level).toBe("silent");
});
