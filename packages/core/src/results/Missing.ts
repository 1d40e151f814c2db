/**
 * What a {@link ResultBackend}'s raw read returns when no result is stored: a sentinel
 * rather than `undefined`, so a stored `null` is never mistaken for an absent result.
 *
 * @example
 * protected async getRaw(key: string) { return this.map.get(key) ?? Missing; }
 */
export const Missing: unique symbol = Symbol.for("@q/core.results.Missing");
