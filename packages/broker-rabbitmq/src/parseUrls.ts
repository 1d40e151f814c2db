/** RabbitMQ's default URL (the `guest` user only works over loopback). */
export const DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672";

/**
 * Internal: the `url` option as a list of connection URLs, tried in order (failover):
 * a string may hold several separated by `;` (as Dramatiq accepts). Each must be
 * amqp:// or amqps://; the vhost is the URL's path (`/` when empty, `%2F` for `/`).
 */
export function parseUrls(url: string | readonly string[] | undefined): string[] {
  if (url === undefined) return [DEFAULT_URL];
  const given = typeof url === "string" ? url.split(";") : Array.isArray(url) ? url : undefined;
  if (!given) throw new TypeError(`url must be a string or an array of strings, got ${typeof url}.`);
  const urls = given.map((u) => {
    if (typeof u !== "string") throw new TypeError(`Every url must be a string, got ${typeof u}.`);
    return u.trim();
  });
  const list = urls.filter((u) => u.length > 0);
  if (list.length === 0) throw new RangeError("url must name at least one amqp:// or amqps:// URL.");
  for (const u of list) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch (error) {
      throw new RangeError(`Not a valid URL: ${redactUrl(u)}`, { cause: error });
    }
    if (parsed.protocol !== "amqp:" && parsed.protocol !== "amqps:") {
      throw new RangeError(`Expected an amqp:// or amqps:// URL, got ${redactUrl(u)}.`);
    }
  }
  return list;
}

/** The URL with `heartbeat=<seconds>` in its query (replacing one given there). */
export function withHeartbeat(url: string, heartbeat: number | undefined): string {
  if (heartbeat === undefined) return url;
  const parsed = new URL(url);
  parsed.searchParams.set("heartbeat", String(heartbeat));
  return parsed.toString();
}

/** The URL without its password, for log lines and error messages. */
export function redactUrl(url: string): string {
  return url.replace(/^(amqps?:\/\/[^:/@]*):[^@/]*@/i, "$1:***@");
}
