import { QError } from "./QError";

/**
 * Throw from an actor to ask for a retry without an error being logged, optionally
 * after a delay of your choosing (milliseconds) instead of the backoff.
 *
 * @example
 * if (await upstreamBusy()) throw new Retry("upstream busy", { delay: 5_000 })
 */
export class Retry extends QError {
  /** Milliseconds to wait before the retry; `undefined` uses the exponential backoff. */
  readonly delay: number | undefined;

  constructor(message = "", options?: { delay?: number; cause?: unknown }) {
    super(message, options);
    this.delay = options?.delay;
  }
}
