import pino from "pino";
import type { Logger } from "pino";
import { formatLine } from "./formatLine";

/** How the q processes write their log lines. */
export interface LogSettings {
  /** `text`: Dramatiq's line format; `json`: pino's JSON lines. */
  format: "text" | "json";
  /** pino level name (`info`, `debug`, ...). */
  level: string;
}

/**
 * A pino logger writing whole lines to `write` (a line at a time, newline included),
 * formatted as `settings.format` says.
 *
 * @example
 * const logger = createLogger({ format: "text", level: "info" }, (line) => process.stderr.write(line));
 */
export function createLogger(settings: LogSettings, write: (line: string) => void): Logger {
  const stream =
    settings.format === "json"
      ? { write }
      : {
          write(json: string) {
            let record: Record<string, unknown>;
            try {
              record = JSON.parse(json) as Record<string, unknown>;
            } catch {
              return write(json);
            }
            write(`${formatLine(record)}\n`);
          },
        };
  return pino({ level: settings.level }, stream);
}
