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
 * The line of a traceback that says what failed: the last line of a Python traceback, the
 * first line of a JavaScript stack (its message).
 *
 * @example
 * errorSummary("Traceback (most recent call last):\n…\nValueError: card declined") // "ValueError: card declined"
 * errorSummary("Error: card declined\n    at charge (app.js:3:9)") // "Error: card declined"
 */
export function errorSummary(text: string | undefined): string {
  const lines = (text ?? "").trim().split("\n");
  return (lines[0]!.startsWith("Traceback (most recent call last)") ? lines[lines.length - 1]! : lines[0]!).trim();
}
