/**
 * Parses JSON as Python's `json.loads` does: standard JSON plus the bare tokens
 * `NaN`, `Infinity` and `-Infinity` that Python producers write by default.
 * Standard input takes the native `JSON.parse` path; only text that the native
 * parser rejects is re-read by the small parser below.
 *
 * @example
 * parsePythonJson('{"time_limit":Infinity}') // { time_limit: Infinity }
 */
export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error;
    return new Parser(text).parseDocument();
  }
}

const WS = new Set([" ", "\t", "\n", "\r"]);

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  parseDocument(): unknown {
    const value = this.value();
    this.skipWs();
    if (this.i !== this.s.length) this.fail("unexpected trailing data");
    return value;
  }

  private fail(what: string): never {
    throw new SyntaxError(`${what} at position ${this.i}`);
  }

  private skipWs(): void {
    while (this.i < this.s.length && WS.has(this.s[this.i]!)) this.i++;
  }

  private literal(word: string, value: unknown): unknown {
    if (this.s.startsWith(word, this.i)) {
      this.i += word.length;
      return value;
    }
    return this.fail(`unexpected token`);
  }

  private value(): unknown {
    this.skipWs();
    const c = this.s[this.i];
    switch (c) {
      case "{":
        return this.object();
      case "[":
        return this.array();
      case '"':
        return this.string();
      case "t":
        return this.literal("true", true);
      case "f":
        return this.literal("false", false);
      case "n":
        return this.literal("null", null);
      case "N":
        return this.literal("NaN", NaN);
      case "I":
        return this.literal("Infinity", Infinity);
      case undefined:
        return this.fail("unexpected end of input");
      default:
        if (c === "-" && this.s.startsWith("-Infinity", this.i)) return this.literal("-Infinity", -Infinity);
        return this.number();
    }
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.i++;
    this.skipWs();
    if (this.s[this.i] === "}") {
      this.i++;
      return out;
    }
    for (;;) {
      this.skipWs();
      if (this.s[this.i] !== '"') this.fail("expected a string key");
      const key = this.string();
      this.skipWs();
      if (this.s[this.i] !== ":") this.fail("expected ':'");
      this.i++;
      // defineProperty, so that a "__proto__" key is data, as with JSON.parse.
      Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.skipWs();
      const c = this.s[this.i++];
      if (c === "}") return out;
      if (c !== ",") this.fail("expected ',' or '}'");
    }
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.i++;
    this.skipWs();
    if (this.s[this.i] === "]") {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.skipWs();
      const c = this.s[this.i++];
      if (c === "]") return out;
      if (c !== ",") this.fail("expected ',' or ']'");
    }
  }

  private string(): string {
    // Find the closing quote, then let JSON.parse handle escapes exactly.
    const start = this.i;
    this.i++;
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === "\\") this.i += 2;
      else if (c === '"') {
        this.i++;
        return JSON.parse(this.s.slice(start, this.i)) as string;
      } else this.i++;
    }
    return this.fail("unterminated string");
  }

  private number(): number {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (!m) this.fail("unexpected token");
    this.i += m[0].length;
    return Number(m[0]);
  }
}
