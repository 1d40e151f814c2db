import type { Actor } from "./Actor";
import type { ErrorClass } from "./ActorOptions";

/**
 * Whether `error` is one the actor declared in `throws` (expected, never retried).
 *
 * @example
 * const charge = actor(fn, { throws: CardDeclined });
 * isExpectedError(charge, new CardDeclined()) // true
 */
export function isExpectedError(actor: Actor<any, any> | undefined, error: unknown): boolean {
  const throws = actor?.options.throws as ErrorClass | readonly ErrorClass[] | undefined;
  if (!throws) return false;
  const classes = Array.isArray(throws) ? throws : [throws as ErrorClass];
  return classes.some((cls) => error instanceof cls);
}
