import Redis from "ioredis";
import pino, { type Level, type Logger } from "pino";

/** The test server (tooling/scripts/services.sh starts it). */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** Fails loudly (never skips) when the test server is not there. */
export async function requireRedis(): Promise<void> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new Error(`Redis is not reachable at ${REDIS_URL}: run bash tooling/scripts/services.sh redis (${(error as Error).message})`, { cause: error });
  } finally {
    client.disconnect();
  }
}

/** A namespace no other test uses, so tests never touch each other's keys. */
export function freshNamespace(): string {
  return `qtest-${Math.random().toString(16).slice(2, 10)}`;
}

/** Deletes every key of a namespace (`ns:*`). */
export async function deleteNamespace(client: Redis, namespace: string): Promise<void> {
  const keys = await client.keys(`${namespace}:*`);
  if (keys.length) await client.del(...keys);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until it returns something truthy and returns that; fails with
 * `what` in the message after `timeout` ms.
 */
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

/** A promise with its `resolve` handed out. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
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
