import { ArgumentError } from "@q/core";

/** Checks a limiter's numeric parameter (Dramatiq asserts these). */
export function positiveInteger(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new ArgumentError(`${what} must be a positive integer, got ${typeof value === "number" ? String(value) : JSON.stringify(value)}.`);
  }
  return value;
}
