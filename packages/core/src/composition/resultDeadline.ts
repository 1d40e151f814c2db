import { ArgumentError } from "../errors/ArgumentError";
import { DEFAULT_RESULT_TIMEOUT, type GetResultOptions } from "../results/ResultBackend";

/**
 * Internal: the moment (on `performance.now()`'s clock) a composite wait must end by,
 * so nested members share one deadline instead of each getting the whole timeout.
 *
 * @example
 * const deadline = resultDeadline(options, "group.getResults()");
 */
export function resultDeadline(options: GetResultOptions, what: string): number {
  const { timeout = DEFAULT_RESULT_TIMEOUT } = options;
  if (typeof timeout !== "number" || !(timeout >= 0)) throw new ArgumentError(`${what}: timeout must be a non-negative number of milliseconds, got ${String(timeout)}.`);
  return performance.now() + timeout;
}

/** Internal: what is left of `deadline`, in whole ms (errors then name a readable timeout), for one member's blocking read. */
export function timeLeft(deadline: number): number {
  return Math.max(0, Math.ceil(deadline - performance.now()));
}
