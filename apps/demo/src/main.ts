/**
 * The demo: the producer and the worker in one process, on the broker from `./broker`.
 *
 * It declares the actors, starts a Worker, sends one message per document (one of them with a
 * delay, and one for a file that does not exist), waits for the queue to drain, stops the
 * worker and prints a summary. The missing file shows error handling: it fails, is retried
 * with backoff, and is dead-lettered when its retries run out.
 *
 *     node dist/main.js                    # the built-in plan (files in apps/demo/data)
 *     node dist/main.js <url> [<url>...]   # count these instead (file:, http:, https:)
 */
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker, type Logger } from "@q/core";
import pino from "pino";
import { createBroker } from "./broker";
import { declareActors } from "./countWords";

/** The documents shipped with the demo. */
export const DATA_DIR = path.resolve(__dirname, "..", "data");

/** One message to send: a URL, and optionally a delay in milliseconds. */
export interface PlannedMessage {
  url: string;
  delay?: number;
}

/**
 * What the demo sends when it is given no URLs: two documents right away, one after half a
 * second, and one that does not exist (it fails 3 times and ends up in the dead letters).
 */
export function defaultPlan(): PlannedMessage[] {
  const file = (name: string) => pathToFileURL(path.join(DATA_DIR, name)).href;
  return [
    { url: file("harbor.txt") },
    { url: file("orchard.txt") },
    { url: file("lighthouse.txt"), delay: 500 },
    { url: file("missing.txt") },
  ];
}

export interface DemoOptions {
  /** URLs to count, all sent at once; default: {@link defaultPlan}. */
  urls?: readonly string[];
  /** Where log lines go; default: @q's default logger (stderr, `warn` unless `LOG_LEVEL` says otherwise). */
  logger?: Logger;
}

export interface DeadLetter {
  url: string;
  /** How many times the message ran. */
  attempts: number;
  /** The last error, e.g. `Error: ENOENT: no such file or directory, open '…'`. */
  error: string;
}

export interface DemoSummary {
  /** Words per URL, in the order the counts finished. */
  counts: Record<string, number>;
  /** The URLs whose messages failed for good. */
  deadLetters: DeadLetter[];
}

/**
 * Runs the demo and resolves to its summary once every message has been handled and the
 * worker has stopped.
 *
 * @example
 * const summary = await main();
 * console.log(formatSummary(summary));
 */
export async function main(options: DemoOptions = {}): Promise<DemoSummary> {
  const plan: PlannedMessage[] = options.urls ? options.urls.map((url) => ({ url })) : defaultPlan();
  const summary: DemoSummary = { counts: {}, deadLetters: [] };

  const broker = createBroker({ logger: options.logger });
  const log = broker.rootLogger.child({ name: "demo" });
  const { countWords } = declareActors(broker, {
    counted: (url, words) => void (summary.counts[url] = words),
    gaveUp: (url, attempts, error) => void summary.deadLetters.push({ url, attempts, error }),
  });

  // concurrency: messages run at once (Dramatiq's worker threads). timeout: how long an idle
  // consumer waits for a message before checking again.
  const worker = new Worker(broker, { concurrency: 4, timeout: 100 });
  await worker.start();
  try {
    for (const { url, delay } of plan) {
      const message = delay === undefined ? await countWords.send(url) : await countWords.sendWithOptions({ args: [url], delay });
      log.info(`Sent ${message} as ${message.messageId}${delay === undefined ? "" : ` (runs in ${delay} ms)`}.`);
    }
    // Wait until the queue and its delay queue are empty. failFast: false, because a
    // dead letter is expected here; in a unit test you would usually keep the default
    // and let the first dead letter's error fail the test.
    await broker.join(countWords.queueName, { failFast: false });
  } finally {
    await worker.stop({ timeout: 10_000 });
    await broker.close();
  }
  return summary;
}

/**
 * The summary as text, one line per document and per dead letter.
 *
 * @example
 * formatSummary({ counts: { "file:///tmp/a.txt": 3 }, deadLetters: [] })
 * // "Counted 1 document(s):\n        3  a.txt\nDead letters: none"
 */
export function formatSummary(summary: DemoSummary): string {
  const lines = [`Counted ${Object.keys(summary.counts).length} document(s):`];
  for (const [url, words] of Object.entries(summary.counts)) lines.push(`  ${String(words).padStart(7)}  ${label(url)}`);
  if (summary.deadLetters.length === 0) lines.push("Dead letters: none");
  else lines.push(`Dead letters: ${summary.deadLetters.length}`);
  for (const { url, attempts, error } of summary.deadLetters) lines.push(`  ${label(url)}: gave up after ${attempts} attempts (${error})`);
  return lines.join("\n");
}

/** A file URL's base name, or the URL itself. */
function label(url: string): string {
  return url.startsWith("file:") ? path.basename(fileURLToPath(url)) : url;
}

if (require.main === module) {
  const urls = process.argv.slice(2);
  // JSON lines on stderr at info (LOG_LEVEL), written synchronously so that every log line is
  // out before the summary is printed: the demo shows what the worker does.
  const logger = pino({ level: process.env.LOG_LEVEL ?? "info" }, pino.destination({ dest: 2, sync: true }));
  main(urls.length > 0 ? { urls, logger } : { logger }).then(
    (summary) => console.log(formatSummary(summary)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
