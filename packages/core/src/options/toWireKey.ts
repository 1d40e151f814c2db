/**
 * The wire (snake_case) key of a camelCase option name, as Dramatiq spells it.
 *
 * @example
 * toWireKey("maxRetries") // "max_retries"
 */
export function toWireKey(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
