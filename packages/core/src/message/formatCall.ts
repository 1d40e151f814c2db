/** Formats a call the way Dramatiq logs it: `add(1, 'x', k=2)`. Long values are cut. */
export function formatCall(name: string, args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): string {
  const parts = args.map(repr);
  for (const [k, v] of Object.entries(kwargs)) parts.push(`${k}=${repr(v)}`);
  return `${name}(${parts.join(", ")})`;
}

function repr(value: unknown): string {
  const text = typeof value === "string" ? `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'` : safeJson(value);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // A log line must never throw: String() of a cyclic or very deep array throws as well.
    try {
      return String(value);
    } catch {
      return "<unprintable>";
    }
  }
}
