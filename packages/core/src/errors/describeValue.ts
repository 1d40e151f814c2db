import { stringifyPython } from "../encoding/stringifyPython";

/**
 * A bad value as an error message shows it: strings quoted, numbers and plain data as
 * JSON (NaN and Infinity as such), class instances and functions by name; cut short.
 *
 * @example
 * describeValue("8") // '"8"'
 * describeValue(new Map()) // "a Map"
 */
export function describeValue(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function") return `a function ${value.name || "(anonymous)"}`;
  if (typeof value === "object" && value !== null) {
    const proto = Object.getPrototypeOf(value) as object | null;
    if (proto !== null && proto !== Object.prototype && proto !== Array.prototype) {
      return `a ${(value.constructor as { name?: string } | undefined)?.name || "class instance"}`;
    }
  }
  let text: string;
  try {
    text = stringifyPython(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
