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

/** The seven metrics with Dramatiq's types and HELP texts (spec 12, checked against dramatiq 2.2.1). */
export const DRAMATIQ_METRICS: Record<string, [type: string, help: string]> = {
  dramatiq_messages_total: ["counter", "The total number of messages processed."],
  dramatiq_message_errors_total: ["counter", "The total number of errored messages."],
  dramatiq_message_retries_total: ["counter", "The total number of retried messages."],
  dramatiq_message_rejects_total: ["counter", "The total number of dead-lettered messages."],
  dramatiq_messages_inprogress: ["gauge", "The number of messages in progress."],
  dramatiq_delayed_messages_inprogress: ["gauge", "The number of delayed messages in memory."],
  dramatiq_message_duration_milliseconds: ["histogram", "The time spent processing messages."],
};

export const DRAMATIQ_BUCKETS = [5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000, 30000, 60000, 600000, 900000, "+Inf"];
