import { escapeHtml } from "./escapeHtml";

/** Markup that is already safe (built by {@link html}); anything else interpolated is escaped. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Part = Html | string | number | undefined | null | false | readonly Part[];

/**
 * A tagged template for markup: interpolated strings and numbers are escaped, `Html` values
 * and arrays of them are inserted as they are, and `undefined`, `null` and `false` vanish.
 *
 * @example
 * html`<td>${message.actorName}</td>` // the actor name is escaped
 */
export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < parts.length; i++) out += render(parts[i]) + strings[i + 1]!;
  return new Html(out);
}

function render(part: Part): string {
  if (part === undefined || part === null || part === false) return "";
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(render).join("");
  return escapeHtml(String(part));
}
