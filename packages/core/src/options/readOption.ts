import type { Actor } from "../actor/Actor";
import { toWireKey } from "./toWireKey";

/**
 * Resolves an option the way every middleware does: the message's option (wire key)
 * wins, then the actor's option (camelCase), then `fallback`. A key that is present
 * counts even when null (null means "none", e.g. `maxRetries: null` retries forever).
 *
 * @example
 * const limit = readOption(message.options, actor, "timeLimit", 600_000);
 */
export function readOption<T>(
  options: Readonly<Record<string, unknown>>,
  actor: Actor<any, any> | undefined,
  name: string,
  fallback: T,
): T {
  const wire = toWireKey(name);
  if (options[wire] !== undefined) return options[wire] as T;
  if (actor && actor.options[name] !== undefined) return actor.options[name] as T;
  return fallback;
}
