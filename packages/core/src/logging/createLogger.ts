import pino from "pino";
import { ConfigurationError } from "../errors/ConfigurationError";
import type { Logger } from "./Logger";
import { formatLine } from "./formatLine";

/** How a logger made by {@link createLogger} writes its lines. */
export interface LogSettings {
  /** `text` (default): Dramatiq's line format, as the `q` command writes it; `json`: pino's JSON lines. */
  format?: "text" | "json";
  /** The lowest pino level written (`trace`, `debug`, `info`, `warn`, `error`, `fatal`, `silent`); default `info`. */
  level?: string;
}

/**
 * A pino logger in the `q` command's formats: text lines such as
 * `[2026-11-21 07:35:55,775] [PID 16927] [MainThread] [q.worker.Worker] [WARNING] …`, or
 * JSON lines. Each line, newline included, goes to `write`; by default to stderr,
 * synchronously, so that nothing is lost when the process exits. An unknown format or level
 * throws a ConfigurationError.
 *
 * @example
 * setDefaultLogger(createLogger({ level: "info" })); // q's text lines at info, in your own process
 * const broker = new RedisBroker(); // logs through it
 */
export function createLogger(settings: LogSettings = {}, write?: (line: string) => void): Logger {
  const { format = "text", level = "info" } = settings;
  if (format !== "text" && format !== "json") throw new ConfigurationError(`Log format must be "text" or "json", got ${JSON.stringify(format)}.`);
  if (!(level in pino.levels.values) && level !== "silent") {
    throw new ConfigurationError(`Unknown log level ${JSON.stringify(level)}: use one of ${[...Object.keys(pino.levels.values), "silent"].join(", ")}.`);
  }
  const out = write ?? stderrWriter();
  if (format === "json") return pino({ level }, { write: out });
  return pino(
    { level },
    {
      write(json: string) {
        let record: Record<string, unknown>;
        try {
          record = JSON.parse(json) as Record<string, unknown>;
        } catch {
          return out(json);
        }
        out(`${formatLine(record)}\n`);
      },
    },
  );
}

/** Writes to file descriptor 2 synchronously (pino's own destination). */
function stderrWriter(): (line: string) => void {
  const destination = pino.destination({ dest: 2, sync: true });
  return (line) => void destination.write(line);
}
