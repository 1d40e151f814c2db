/**
 * JSON text with Python's values. The Python scripts read their spec with `json.loads`, and
 * write what they saw with `json.dumps`, so both directions need the tokens `NaN`, `Infinity`
 * and `-Infinity` (and integers beyond 2^53) that JavaScript's JSON lacks.
 */

/** JSON text inserted verbatim by {@link pyJson}: `py("[1.0, -0.0, NaN]")`. */
export class PyText {
  constructor(readonly text: string) {}
}

/** Python JSON text written by hand, for values JavaScript cannot hold (`1.0`, `-0.0`, `NaN`, big ints). */
export function py(text: string): PyText {
  return new PyText(text);
}

/** `JSON.stringify`, except that {@link PyText} values are written as their text. */
export function pyJson(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof PyText) {
      raws.push(v.text);
      return `\u0000py${raws.length - 1}\u0000`;
    }
    return v;
  });
  return text.replace(/"\\u0000py(\d+)\\u0000"/g, (_m, i: string) => raws[Number(i)]!);
}

const TOKENS = /"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g;
const MARK = "\u0000float:";

/**
 * Parses what `json.dumps` wrote: `NaN`, `Infinity` and `-Infinity` become the JavaScript
 * numbers (big integers lose precision, as in @q; compare their `repr` text instead).
 */
export function parsePyJson<T = unknown>(text: string): T {
  const marked = text.replace(TOKENS, (token) => (token.startsWith('"') ? token : `"${MARK}${token}"`));
  return JSON.parse(marked, (_key, v: unknown) => (typeof v === "string" && v.startsWith(MARK) ? Number(v.slice(MARK.length)) : v)) as T;
}
