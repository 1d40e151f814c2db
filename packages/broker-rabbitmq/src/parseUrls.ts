import { ConfigurationError } from "@q/core";

/** RabbitMQ's default URL (the `guest` user only works over loopback). */
export const DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672";

/**
 * Internal: the `url` option as a list of connection URLs, tried in order (failover):
 * a string may hold several separated by `;` (as Dramatiq accepts). Each must be
 * amqp:// or amqps://; the vhost is the URL's path (`/` when empty, `%2F` for `/`).
 * Throws ConfigurationError, whose message never holds a password.
 */
export function parseUrls(url: string | readonly string[] | undefined): string[] {
  if (url === undefined) return [DEFAULT_URL];
  const given = typeof url === "string" ? url.split(";") : Array.isArray(url) ? url : undefined;
  if (!given) throw new ConfigurationError(`url must be a string or an array of strings, got ${typeof url}.`);
  const urls = given.map((u) => {
    if (typeof u !== "string") throw new ConfigurationError(`Every url must be a string, got ${typeof u}.`);
    return u.trim();
  });
  const list = urls.filter((u) => u.length > 0);
  if (list.length === 0) throw new ConfigurationError("url must name at least one amqp:// or amqps:// URL.");
  for (const u of list) {
    // Node's error is not kept as the cause: it carries the whole URL, password included.
    if (!URL.canParse(u)) {
      throw new ConfigurationError(
        `Not a valid URL: ${redactUrl(u)} (percent-encode reserved characters in the user name and password, e.g. %40 for @, %2F for /, %3B for ;).`,
      );
    }
    const protocol = new URL(u).protocol;
    if (protocol !== "amqp:" && protocol !== "amqps:") {
      throw new ConfigurationError(`Expected an amqp:// or amqps:// URL, got ${redactUrl(u)}.`);
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

/**
 * The URL without its password, for log lines and error messages; also for strings
 * that are not valid URLs (any scheme, or none), where more is masked rather than less.
 */
export function redactUrl(url: string): string {
  const slashes = url.indexOf("//");
  const start = slashes < 0 ? 0 : slashes + 2;
  const valid = URL.canParse(url);
  // In a valid URL the user info ends at the last "@" before the path, query or fragment.
  let end = url.length;
  if (valid) {
    const after = /[/?#]/.exec(url.slice(start));
    if (after) end = start + after.index;
  }
  const at = end > 0 ? url.lastIndexOf("@", end - 1) : -1;
  const colon = url.indexOf(":", start);
  if (colon < 0) return url;
  if (at >= start && colon < at) return `${url.slice(0, colon + 1)}***${url.slice(at)}`;
  // No "@": a valid URL has no password; in a broken one (e.g. a password cut at a ";") what follows
  // the first ":" may be one, so it is masked, port or not.
  return valid || at >= start || slashes < 0 ? url : `${url.slice(0, colon + 1)}***`;
}
