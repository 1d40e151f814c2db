import pino, { type Level, type Logger } from "pino";

/** One parsed pino log line. */
export interface LogLine {
  level: number;
  msg: string;
  name?: string;
  err?: { type: string; message: string; stack: string };
}

/** pino's numeric levels, for {@link CapturedLogs.find}. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** What {@link captureLogger} returns. */
export interface CapturedLogs {
  logger: Logger;
  lines: LogLine[];
  /** The lines at exactly `level` whose message contains `text` (or matches it). */
  find(level: number, text: string | RegExp): LogLine[];
}

/**
 * A pino logger whose lines are parsed into `lines`, to assert on what was logged.
 *
 * @example
 * const logs = captureLogger();
 * const broker = new StubBroker({ logger: logs.logger });
 * expect(logs.find(LEVEL.error, "undecodable")).toHaveLength(1);
 */
export function captureLogger(level: Level = "debug"): CapturedLogs {
  const lines: LogLine[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  const find = (lvl: number, text: string | RegExp) =>
    lines.filter((l) => l.level === lvl && (typeof text === "string" ? l.msg.includes(text) : text.test(l.msg)));
  return { logger, lines, find };
}

/**
 * A pino logger that writes nothing.
 *
 * @example
 * const broker = new RedisBroker({ logger: silentLogger() });
 */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
