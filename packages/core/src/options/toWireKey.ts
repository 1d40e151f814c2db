/**
 * The wire (snake_case) key of a camelCase option name, as Dramatiq spells it.
 *
 * @example
 * toWireKey("maxRetries") // "max_retries"
 */
export function toWireKey(name: string): string {
  let key = cache.get(name);
  if (key === undefined) {
    key = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    // Option names are a small fixed set; the bound only guards against misuse.
    if (cache.size < 1024) cache.set(name, key);
  }
  return key;
}

// Middleware resolve options per message: convert each name once.
const cache = new Map<string, string>();
