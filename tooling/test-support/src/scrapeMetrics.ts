/**
 * Scrapes a Prometheus text-format endpoint and parses it, for the metrics tests
 * (packages/middleware-prometheus, apps/interop).
 */
import http from "node:http";

/** One scrape: status, content type, body, and the body parsed. */
export interface Scrape {
  status: number;
  contentType: string | undefined;
  text: string;
  /** `name{label="v",...}` (labels sorted, `le` as a number) → value. */
  samples: Map<string, number>;
  help: Map<string, string>;
  types: Map<string, string>;
}

/** GETs `http://host:port/path` and parses the Prometheus text format. */
export function scrape(port: number, host = "127.0.0.1", path = "/metrics"): Promise<Scrape> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, timeout: 10_000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"], text, ...parseExposition(text) }));
    });
    req.on("timeout", () => req.destroy(new Error("scrape timed out")));
    req.on("error", reject);
  });
}

/** Parses the text format (enough for these tests: no escapes in label values). */
export function parseExposition(text: string): Pick<Scrape, "samples" | "help" | "types"> {
  const samples = new Map<string, number>();
  const help = new Map<string, string>();
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line.startsWith("# HELP ")) {
      const [, name, ...rest] = line.slice(2).split(" ");
      help.set(name!, rest.join(" "));
    } else if (line.startsWith("# TYPE ")) {
      const [, name, type] = line.slice(2).split(" ");
      types.set(name!, type!);
    } else if (line.trim() && !line.startsWith("#")) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
      if (!m) throw new Error(`Unparsable sample line: ${line}`);
      samples.set(sampleKey(m[1]!, parseLabels(m[2] ?? "")), Number(m[3] === "+Inf" ? Infinity : m[3]));
    }
  }
  return { samples, help, types };
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const m of text.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) labels[m[1]!] = m[2]!;
  return labels;
}

/** The key of a sample: labels sorted; `le` normalised as a number ("5.0" and "5" are one bucket). */
export function sampleKey(name: string, labels: Record<string, string | number> = {}): string {
  const parts = Object.entries(labels)
    .map(([k, v]) => [k, k === "le" ? (String(v) === "+Inf" ? "+Inf" : String(Number(v))) : String(v)] as const)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v}"`);
  return parts.length ? `${name}{${parts.join(",")}}` : name;
}

/** The value of one sample (undefined when absent). */
export function value(s: Pick<Scrape, "samples">, name: string, labels: Record<string, string | number> = {}): number | undefined {
  return s.samples.get(sampleKey(name, labels));
}

