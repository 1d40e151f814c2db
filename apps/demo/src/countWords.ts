/**
 * The count-words actor from Dramatiq's user guide, in TypeScript: it fetches a document and
 * counts its words. `file:` URLs are read from disk and `http:`/`https:` URLs are fetched, so
 * the demo works on a machine without internet access.
 *
 * The actors are declared by a function that takes the broker. Nothing is declared when this
 * module is imported, so a test can build a fresh broker and declare them again.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { actor, currentSignal, type Broker, type MessageData } from "@q/core";

/**
 * Reads the text at `url`. `file:` URLs are read from disk; `http:` and `https:` URLs are
 * fetched with the global `fetch`. A non-2xx answer is an error. `signal` cancels the read.
 *
 * @example
 * const text = await readText("file:///etc/hostname");
 */
export async function readText(url: string, signal?: AbortSignal): Promise<string> {
  const parsed = new URL(url); // "foo" throws TypeError: Invalid URL
  switch (parsed.protocol) {
    case "file:":
      return readFile(fileURLToPath(parsed), { encoding: "utf8", signal });
    case "http:":
    case "https:": {
      const response = await fetch(parsed, { signal });
      if (!response.ok) throw new Error(`GET ${url} answered ${response.status} ${response.statusText}`);
      return response.text();
    }
    default:
      throw new Error(`Cannot read ${parsed.protocol} URLs; use file:, http: or https:`);
  }
}

/**
 * The number of whitespace-separated words in `text`.
 *
 * @example
 * countWordsIn("to be  or\nnot") // 4
 */
export function countWordsIn(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** Where the worker reports what happened. The demo keeps it in memory. */
export interface WordCountSink {
  /** `url` had `words` words. */
  counted(url: string, words: number): void;
  /** Retries ran out for `url`: its message went to the dead letters. */
  gaveUp(url: string, attempts: number, error: string): void;
}

/** Retry settings for the demo: 3 attempts in total, with backoffs of a fraction of a second. */
export const RETRY_OPTIONS = { maxRetries: 2, minBackoff: 100, maxBackoff: 1_000 } as const;

/**
 * Declares the demo's two actors on `broker`:
 *
 * - `countWords(url)` counts the words at `url` and reports the count to `sink`. A failure
 *   (a missing file, a network error) is retried with backoff; after the last retry the
 *   message is dead-lettered.
 * - `reportDeadLetter(message, info)` is the `onRetryExhausted` callback of `countWords`:
 *   the Retries middleware sends it a message when it gives up on a URL.
 *
 * @example
 * const { countWords } = declareActors(broker, sink);
 * await countWords.send("file:///tmp/notes.txt");
 */
export function declareActors(broker: Broker, sink: WordCountSink) {
  // Inside `function countWords`, the name countWords means the plain function, not the
  // actor, so the actor's logger is not reachable from there: use a logger of our own.
  const log = broker.rootLogger.child({ name: "demo.countWords" });

  const reportDeadLetter = actor(
    function reportDeadLetter(message: MessageData, info: { retries: number; max_retries: number | null }): void {
      const url = String(message.args[0]);
      // Retries stores the last failure's stack in the `traceback` option; its first line is the error.
      const traceback = typeof message.options.traceback === "string" ? message.options.traceback : "unknown error";
      sink.gaveUp(url, info.retries + 1, traceback.split("\n")[0]!);
    },
    { broker },
  );

  const countWords = actor(
    async function countWords(url: string): Promise<void> {
      // The message's signal, which aborts when its time limit runs out (read before any await).
      const signal = currentSignal();
      const words = countWordsIn(await readText(url, signal));
      log.info(`There are ${words} words at ${url}.`);
      sink.counted(url, words);
    },
    { broker, ...RETRY_OPTIONS, timeLimit: 10_000, onRetryExhausted: reportDeadLetter },
  );

  return { countWords, reportDeadLetter };
}
