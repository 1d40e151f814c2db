import { ConfigurationError } from "../errors/ConfigurationError";
import type { Logger } from "./Logger";
import { createLogger } from "./createLogger";

let root: Logger | undefined;

/**
 * The logger used when none is injected — the one given to {@link setDefaultLogger} (the `q`
 * command gives its own), else one made on first use that writes to stderr at level
 * `LOG_LEVEL`, default `warn`: in your own process @q stays quiet unless something is wrong.
 * Its lines are in Dramatiq's text format, as `q` writes them; `Q_LOG_FORMAT=json` gives pino's
 * JSON lines instead. A value it cannot use throws a ConfigurationError.
 *
 * @example
 * defaultLogger().child({ name: "myapp" }).warn("disk almost full");
 * // [2026-11-21 07:35:55,775] [PID 16927] [MainThread] [myapp] [WARNING] disk almost full
 */
export function defaultLogger(): Logger {
  if (!root) {
    const format = process.env.Q_LOG_FORMAT || "text";
    if (format !== "text" && format !== "json") {
      throw new ConfigurationError(`Q_LOG_FORMAT must be "text" or "json", got ${JSON.stringify(format)}.`);
    }
    try {
      root = createLogger({ format, level: process.env.LOG_LEVEL || "warn" });
    } catch (error) {
      throw new ConfigurationError(`LOG_LEVEL: ${(error as Error).message}`, { cause: error });
    }
  }
  return root;
}

/**
 * Replaces the default logger for brokers made from now on (brokers made earlier keep
 * theirs). The `q` command line calls it before it imports your modules, so that a
 * broker made without `{ logger }` writes in the CLI's format and level.
 *
 * @example
 * setDefaultLogger(createLogger({ level: "info", format: "json" }));
 * const broker = new StubBroker(); // logs through that logger
 */
export function setDefaultLogger(logger: Logger): void {
  root = logger;
}
