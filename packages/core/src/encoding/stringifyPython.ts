/**
 * `JSON.stringify(value)`, except that NaN, Infinity and -Infinity are written as the
 * bare tokens `NaN`, `Infinity` and `-Infinity`, as Python's `json.dumps` writes them,
 * instead of `null`. A message from a Python producer may carry them (`time_limit:
 * Infinity`), and every re-encode (a retry, a delay move, a callback) must keep them.
 * Returns undefined where JSON.stringify does (a bare undefined or function).
 *
 * Costs one native JSON.stringify for text without `null`; only text with `null` (the
 * form JSON.stringify gives a non-finite number) is checked further.
 *
 * @example
 * stringifyPython({ time_limit: Infinity, args: [NaN, null] }) // '{"time_limit":Infinity,"args":[NaN,null]}'
 */
export function stringifyPython(value: unknown): string | undefined {
  const text = JSON.stringify(value);
  if (text === undefined || !text.includes("null") || !mayHoldNonFinite(value)) return text;
  return withTokens(value, text);
}

/**
 * Whether a non-finite number may be somewhere in `value`. Walks what JSON.stringify
 * walks (it has just succeeded, so there is no cycle); a value with its own `toJSON`
 * counts as "may", since only stringifying it tells.
 */
function mayHoldNonFinite(value: unknown): boolean {
  if (typeof value === "number") return !Number.isFinite(value);
  if (typeof value !== "object" || value === null) return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (mayHoldNonFinite(value[i])) return true;
    return false;
  }
  for (const key in value) {
    if (Object.prototype.hasOwnProperty.call(value, key) && mayHoldNonFinite((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

/**
 * Stringifies again with each non-finite number replaced by a tagged string, then turns
 * the tagged strings into bare tokens. The tag starts with U+0000 (which JSON escapes as
 * `\u0000`) and a counter raised until `plain` — the same text apart from the numbers,
 * so holding every string and key — does not contain it: no string of the value can be
 * mistaken for a tag.
 */
function withTokens(value: unknown, plain: string): string {
  let n = 0;
  while (plain.includes(`\\u0000${n}:`)) n++;
  const tag = `\u0000${n}:`;
  const tagged = JSON.stringify(value, (_key, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? tag + String(v) : v));
  return tagged.replace(new RegExp(`"\\\\u0000${n}:(NaN|Infinity|-Infinity)"`, "g"), "$1");
}
