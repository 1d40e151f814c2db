/**
 * How long ago (or ahead) a time is, in the largest whole unit: "12 s ago", "3 min ago",
 * "in 2 h". The exact time is in the element's title.
 *
 * @example
 * relativeTime(Date.now() - 90_000) // "1 min ago"
 */
export function relativeTime(ms: number, now = Date.now()): string {
  const delta = Math.round((now - ms) / 1000);
  const abs = Math.abs(delta);
  const [n, unit] = abs < 60 ? [abs, "s"] : abs < 3600 ? [Math.floor(abs / 60), "min"] : abs < 86_400 ? [Math.floor(abs / 3600), "h"] : [Math.floor(abs / 86_400), "d"];
  return delta >= 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
}

/**
 * A value as one line of JSON, cut to `max` characters.
 *
 * @example
 * shortJson([1, "two"], 40) // '[1,"two"]'
 */
export function shortJson(value: unknown, max = 80): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The line of a traceback that says what failed: its last non-empty line.
 *
 * @example
 * lastLine("Traceback…\\nValueError: card declined") // "ValueError: card declined"
 */
export function lastLine(text: string | undefined): string {
  const lines = (text ?? "").trim().split("\n");
  return lines[lines.length - 1]!.trim();
}
