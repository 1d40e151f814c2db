import { ConfigurationError } from "@q/core";

/**
 * Internal: checks a Redis URL before ioredis sees it (ioredis reads an unknown scheme as a
 * socket path and fails later, obscurely). Accepts redis://, rediss:// and unix:///path.
 * The password never appears in the error.
 */
export function validateUrl(url: unknown): string {
  if (typeof url !== "string") throw new ConfigurationError(`Invalid Redis URL: expected a string, got ${typeof url}.`);
  const shown = JSON.stringify(url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*:)[^@/]*@/i, "$1****@"));
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new ConfigurationError(`Invalid Redis URL ${shown}: not a URL. Expected redis://host[:port][/db], rediss://... or unix:///path.`, { cause: error });
  }
  if (parsed.protocol === "unix:") {
    if (!url.startsWith("unix:///")) throw new ConfigurationError(`Invalid Redis URL ${shown}: a unix:// URL needs an absolute socket path (unix:///run/redis.sock).`);
    return decodeURIComponent(parsed.pathname) + parsed.search;
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new ConfigurationError(`Invalid Redis URL ${shown}: expected redis://, rediss:// or unix://, got ${parsed.protocol}//.`);
  }
  if (parsed.hostname === "") throw new ConfigurationError(`Invalid Redis URL ${shown}: no host.`);
  const db = parsed.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d+$/.test(db)) throw new ConfigurationError(`Invalid Redis URL ${shown}: the path must be a database number, got "/${db}".`);
  return url;
}
