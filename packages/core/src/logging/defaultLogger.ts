import pino from "pino";
import type { Logger } from "./Logger";

let root: Logger | undefined;

/**
 * The logger used when none is injected: pino to stderr, level from `LOG_LEVEL`
 * (default `info`). Created once, on first use.
 *
 * @example
 * defaultLogger().child({ name: "myapp" }).info("hello");
 */
export function defaultLogger(): Logger {
  root ??= pino({ level: process.env.LOG_LEVEL ?? "info" }, pino.destination(2));
  return root;
}
