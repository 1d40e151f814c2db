import { QError } from "../errors/QError";
import { messageContext } from "./messageContext";
import { startingRun } from "./startingRun";

/**
 * The AbortSignal of the message the calling actor runs for. It aborts when the run is
 * interrupted, and its `reason` is the interrupt: `TimeLimitExceeded` at the time limit,
 * `Shutdown` when a stopping worker gives up on the run (or, with `notifyShutdown`, when
 * it starts stopping). So `signal.throwIfAborted()` throws that error, and so does an API that
 * rejects with the signal's reason, such as `fetch(url, { signal })`.
 *
 * Call it in the synchronous start of the actor function, before its first `await`, and keep
 * the signal: it needs no middleware and costs nothing. With the `CurrentMessage`
 * middleware on the broker it also works later in the run. In an inline call (`myActor(...)`),
 * it is the signal of the message running around it, if any, else one that never aborts.
 * Anywhere else it throws a QError.
 *
 * @example
 * const crawl = actor(async function crawl(url: string) {
 *   const signal = currentSignal();
 *   try {
 *     await fetch(url, { signal }); // rejects with TimeLimitExceeded at the time limit
 *   } catch (error) {
 *     if (error instanceof TimeLimitExceeded) await cleanUp(url);
 *     throw error;
 *   }
 * }, { timeLimit: 30_000 });
 */
export function currentSignal(): AbortSignal {
  const run = startingRun.current;
  if (run !== undefined && run !== "inline") return run.signal;
  const running = messageContext.getStore()?.message;
  if (running) return running.signal;
  if (run === "inline") return new AbortController().signal;
  throw new QError(
    "currentSignal() was called outside an actor's run, or after the actor's first await: call it at the start of the actor function and keep the signal (with the CurrentMessage middleware on the broker, it works anywhere in the run).",
  );
}
