import pino from "pino";
import type { Logger } from "./Logger";

let root: Logger | undefined;

/**
 * The logger used when none is injected: pino to stderr, level from `LOG_LEVEL`
 * (default `info`), created on first use — or the one given to {@link setDefaultLogger}.
 *
 * @example
 * defaultLogger().child({ name: "myapp" }).info("hello");
 */
export function defaultLogger(): Logger {
  root ??= pino({ level: process.env.LOG_LEVEL ?? "info" }, pino.destination(2));
  return root;
}

/**
 * Replaces the default logger for brokers made from now on (brokers made earlier keep
 * theirs). The `q` command line calls it before it imports your modules, so that a
 * broker made without `{ logger }` writes in the CLI's format.
 *
 * @example
 * setDefaultLogger(pino({ level: "debug" }));
 * const broker = new StubBroker(); // logs through that logger
 */
export function setDefaultLogger(logger: Logger): void {
  root = logger;
}
