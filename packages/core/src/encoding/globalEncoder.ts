import type { Encoder } from "./Encoder";
import { JSONEncoder } from "./JSONEncoder";

let current: Encoder = new JSONEncoder();

/**
 * Replaces the process-wide encoder used for messages (and by result backends
 * created afterwards). Every producer and worker sharing a queue must agree.
 *
 * @example
 * setEncoder(new JSONEncoder());
 */
export function setEncoder(encoder: Encoder): void {
  current = encoder;
}

/**
 * The process-wide encoder ({@link JSONEncoder} unless replaced).
 *
 * @example
 * const bytes = getEncoder().encode({ a: 1 });
 */
export function getEncoder(): Encoder {
  return current;
}
