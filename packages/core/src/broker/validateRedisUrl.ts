import { ConfigurationError } from "../errors/ConfigurationError";

/**
 * Checks a Redis URL and returns what ioredis connects to (for the Redis broker and the
 * Redis backends of @q/rate-limits and @q/results). Only `redis://`,
 * `rediss://` (TLS) and `unix:///path/to.sock[?db=N]` are accepted: ioredis reads
 * anything else it does not know (`redis:/host`, `http://host`) as a socket path and
 * fails later with a confusing error. Errors never show the password.
 *
 * @example
 * new Redis(validateRedisUrl(options.url ?? "redis://127.0.0.1:6379"));
 */
export function validateRedisUrl(url: unknown): string {
  if (typeof url !== "string") throw new ConfigurationError(`Invalid Redis URL: expected a string, got ${typeof url}.`);
  const shown = redactRedisUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Node's error is not kept as the cause: its `input` holds the whole URL, password
    // included, and console.log / util.inspect of this error would print it.
    throw new ConfigurationError(
      `Invalid Redis URL ${JSON.stringify(shown)}: not a URL. Expected redis://host[:port][/db], rediss://... or unix:///path (percent-encode reserved characters in the user name and password, e.g. %40 for @, %2F for /).`,
    );
  }
  const scheme = parsed.protocol;
  if (scheme === "unix:") {
    if (!url.startsWith("unix:///") || parsed.pathname.length < 2) {
      throw new ConfigurationError(`Invalid Redis URL ${JSON.stringify(shown)}: a unix:// URL needs an absolute socket path (unix:///run/redis.sock).`);
    }
    return decodeURIComponent(parsed.pathname) + parsed.search;
  }
  if (scheme !== "redis:" && scheme !== "rediss:") {
    throw new ConfigurationError(`Invalid Redis URL ${JSON.stringify(shown)}: expected redis://, rediss:// or unix://, got ${scheme}//.`);
  }
  if (!/^rediss?:\/\/[^/]/i.test(url) || parsed.hostname === "") {
    throw new ConfigurationError(`Invalid Redis URL ${JSON.stringify(shown)}: no host (expected ${scheme}//host[:port][/db]).`);
  }
  const db = parsed.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d+$/.test(db)) {
    throw new ConfigurationError(`Invalid Redis URL ${JSON.stringify(shown)}: the path must be a database number, got "/${db}".`);
  }
  // ioredis turns TLS on only for a lower-case "rediss://": "REDISS://" would otherwise
  // connect in plain text, sending the password unencrypted.
  return scheme + url.slice(scheme.length);
}

/**
 * The URL with its password replaced by `****`: everything between the user name and the
 * last `@` (a host, port or db never holds one, so a password with unencoded `@`, `/`, `#`
 * or `?` is masked whole), or the whole user info when it has no `:` (`redis://secret@host`
 * is a common slip for `redis://:secret@host`).
 *
 * @example
 * redactRedisUrl("redis://u:secret@host") // "redis://u:****@host"
 */
export function redactRedisUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  const start = scheme ? scheme[0].length : 0;
  const at = url.lastIndexOf("@");
  if (at < start) return url;
  const colon = url.indexOf(":", start);
  const userEnd = colon >= start && colon < at ? colon + 1 : start;
  return `${url.slice(0, userEnd)}****${url.slice(at)}`;
}
