import { randomBytes } from "node:crypto";
import * as amqp from "amqplib";
import pino, { type Level, type Logger } from "pino";

/** The shared test server (tooling/scripts/services.sh starts it). */
export const AMQP_URL = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";

/** Fails loudly (never skips) when the test server is not there. */
export async function requireRabbit(url: string = AMQP_URL): Promise<void> {
  try {
    const connection = await amqp.connect(url, { timeout: 5000 });
    await connection.close();
  } catch (error) {
    throw new Error(`RabbitMQ is not reachable at ${url}: run bash tooling/scripts/services.sh rabbitmq (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/** A queue name no other test uses. */
export function freshQueue(prefix = "qtest"): string {
  return `${prefix}_${randomBytes(5).toString("hex")}`;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something truthy and returns that; fails naming `what` after `timeout` ms. */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  { timeout = 5000, interval = 20 }: { timeout?: number; interval?: number } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() >= deadline) throw new Error(`Timed out after ${timeout} ms waiting for ${what}.`);
    await sleep(interval);
  }
}

/** A pino logger that writes nothing. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

/** One parsed pino log line. */
export interface LogLine {
  level: number;
  msg: string;
  name?: string;
  err?: { type: string; message: string; stack: string };
}

export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** A pino logger whose lines are parsed into `lines`; `find` filters them by level and text. */
export function captureLogger(level: Level = "debug"): {
  logger: Logger;
  lines: LogLine[];
  find: (level: number, text: string | RegExp) => LogLine[];
} {
  const lines: LogLine[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  const find = (lvl: number, text: string | RegExp) =>
    lines.filter((l) => l.level === lvl && (typeof text === "string" ? l.msg.includes(text) : text.test(l.msg)));
  return { logger, lines, find };
}
