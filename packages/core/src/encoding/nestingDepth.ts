/**
 * Most levels of arrays and objects a message may nest. Python's `json` stops near 1000 (its
 * recursion limit), so no Dramatiq peer writes deeper; far deeper values (a producer's bug,
 * or an attack: `[[[[…` for 100k levels is 200 KB) would overflow the stack of every code
 * path that walks them (re-encoding for a retry, logging) after a successful parse.
 */
export const MAX_NESTING = 2000;

/**
 * Whether JSON `text` nests arrays/objects deeper than `limit`, by one pass over the text
 * (no recursion, nothing allocated). Text shorter than 2 × limit cannot, and is not scanned.
 *
 * @example
 * nestsDeeperThan("[[1]]", 1) // true
 */
export function nestsDeeperThan(text: string, limit: number = MAX_NESTING): boolean {
  if (text.length <= 2 * limit) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped char
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
