import type { ConnectionOptions } from "node:tls";
import { ConfigurationError } from "../errors/ConfigurationError";

/**
 * Where a Redis client finds its primary through Redis Sentinel (the `sentinel` option of
 * `RedisBroker`, `RedisResultBackend` and `RedisRateLimiterBackend`). The client asks the
 * sentinels for the primary of `name`, connects to it, checks it really is a primary, and
 * after a failover (or on a READONLY answer from a demoted primary) asks again.
 *
 * @example
 * const sentinel: RedisSentinelOptions = {
 *   sentinels: [{ host: "10.0.0.1", port: 26379 }, { host: "10.0.0.2", port: 26379 }, { host: "10.0.0.3", port: 26379 }],
 *   name: "mymaster",
 *   password: process.env.REDIS_PASSWORD,
 * };
 */
export interface RedisSentinelOptions {
  /** The sentinels to ask (at least one; list them all: any one that answers will do). */
  sentinels: readonly { host: string; port: number }[];
  /** The master group's name (`sentinel monitor <name> ...`). */
  name: string;
  /** The Redis servers' ACL user name (not the sentinels'). */
  username?: string;
  /** The Redis servers' password (`requirepass` / the user's); not the sentinels'. */
  password?: string;
  /** The sentinels' ACL user name, if they require one. */
  sentinelUsername?: string;
  /** The sentinels' password (`requirepass` in sentinel.conf), if they require one. */
  sentinelPassword?: string;
  /** The database number on the primary; default 0. */
  db?: number;
  /** TLS options for the Redis servers (`true` for the defaults). */
  tls?: boolean | ConnectionOptions;
  /** TLS options for the sentinels (`true` for the defaults); default plain TCP. */
  sentinelTls?: boolean | ConnectionOptions;
  /**
   * Also listen to the sentinels' `+switch-master` announcements (ioredis's failover detector,
   * one more connection to each sentinel per connection). Default false: a failover moves the
   * clients anyway (a dead primary's connections close; on a manual `SENTINEL FAILOVER` the
   * sentinels close the demoted primary's client connections; READONLY reconnects).
   */
  failoverDetector?: boolean;
}

/** What {@link sentinelRedisOptions} returns: ioredis options (typed here without ioredis). */
export interface SentinelConnectionSettings {
  sentinels: { host: string; port: number }[];
  name: string;
  role: "master";
  username?: string;
  password?: string;
  sentinelUsername?: string;
  sentinelPassword?: string;
  db?: number;
  tls?: ConnectionOptions;
  enableTLSForSentinelMode?: boolean;
  sentinelTLS?: ConnectionOptions;
  failoverDetector: boolean;
  sentinelRetryStrategy: (attempt: number) => number | null;
  reconnectOnError: (error: Error) => 1 | 2 | false;
}

/**
 * Checks `sentinel` (ConfigurationError naming `where` and the bad field) and maps it onto
 * ioredis's Sentinel options. `isClosed` says when the owner has closed its connections:
 * ioredis keeps asking unreachable sentinels even after `disconnect()` (its retry loop never
 * looks), which would keep the process alive, so the retry strategy stops then. `resend` chooses what a READONLY answer does: reconnect (through
 * the sentinels, to the new primary) and resend the command (`true`, for clients that rely on
 * ioredis's queue), or only reconnect (`false`, for callers that resend by themselves).
 *
 * @example
 * new Redis({ ...options.redisOptions, ...sentinelRedisOptions(options.sentinel, "RedisResultBackend", true, () => this.closed) });
 */
export function sentinelRedisOptions(sentinel: unknown, where: string, resend: boolean, isClosed: () => boolean): SentinelConnectionSettings {
  const bad = (what: string) => new ConfigurationError(`${where}: invalid sentinel option: ${what}.`);
  if (typeof sentinel !== "object" || sentinel === null) throw bad(`expected { sentinels: [{ host, port }], name }, got ${sentinel === null ? "null" : typeof sentinel}`);
  const s = sentinel as Partial<Record<keyof RedisSentinelOptions, unknown>>;
  const known = new Set(["sentinels", "name", "username", "password", "sentinelUsername", "sentinelPassword", "db", "tls", "sentinelTls", "failoverDetector"]);
  for (const key of Object.keys(s)) if (!known.has(key)) throw bad(`unknown field ${JSON.stringify(key)} (known: ${[...known].join(", ")})`);
  if (!Array.isArray(s.sentinels) || s.sentinels.length === 0) throw bad("sentinels must be a non-empty array of { host, port }");
  const sentinels = s.sentinels.map((entry: unknown, i: number) => {
    const e = entry as { host?: unknown; port?: unknown } | null;
    if (typeof e !== "object" || e === null) throw bad(`sentinels[${i}] must be { host, port }`);
    if (typeof e.host !== "string" || e.host.trim() === "") throw bad(`sentinels[${i}].host must be a non-empty string`);
    if (typeof e.port !== "number" || !Number.isInteger(e.port) || e.port < 1 || e.port > 65535) throw bad(`sentinels[${i}].port must be a whole number in 1..65535, got ${String(e.port)}`);
    return { host: e.host, port: e.port };
  });
  if (typeof s.name !== "string" || s.name.trim() === "") throw bad("name (the master group's name in sentinel.conf) must be a non-empty string");
  for (const key of ["username", "password", "sentinelUsername", "sentinelPassword"] as const) {
    // The value itself is never shown: it may be a password.
    if (s[key] !== undefined && typeof s[key] !== "string") throw bad(`${key} must be a string, got ${typeof s[key]}`);
  }
  if (s.db !== undefined && (typeof s.db !== "number" || !Number.isSafeInteger(s.db) || s.db < 0)) throw bad(`db must be a whole number >= 0, got ${String(s.db)}`);
  for (const key of ["tls", "sentinelTls"] as const) {
    if (s[key] !== undefined && typeof s[key] !== "boolean" && (typeof s[key] !== "object" || s[key] === null)) throw bad(`${key} must be true, false or TLS options`);
  }
  if (s.failoverDetector !== undefined && typeof s.failoverDetector !== "boolean") throw bad(`failoverDetector must be a boolean, got ${typeof s.failoverDetector}`);
  const tlsOf = (value: unknown) => (value === true ? {} : value === false || value === undefined ? undefined : (value as ConnectionOptions));
  const settings: SentinelConnectionSettings = {
    sentinels,
    name: s.name,
    role: "master",
    failoverDetector: (s.failoverDetector as boolean | undefined) ?? false,
    // Sentinels down too: try again soon, but not in a tight loop; never once closed.
    sentinelRetryStrategy: (attempt) => (isClosed() ? null : Math.min(50 * attempt, 1000)),
    // A demoted primary answers writes with READONLY: ask the sentinels again.
    reconnectOnError: (error) => (isReadOnlyError(error) ? (resend ? 2 : 1) : false),
  };
  if (s.username !== undefined) settings.username = s.username as string;
  if (s.password !== undefined) settings.password = s.password as string;
  if (s.sentinelUsername !== undefined) settings.sentinelUsername = s.sentinelUsername as string;
  if (s.sentinelPassword !== undefined) settings.sentinelPassword = s.sentinelPassword as string;
  if (s.db !== undefined) settings.db = s.db as number;
  const tls = tlsOf(s.tls);
  if (tls) settings.tls = tls;
  const sentinelTls = tlsOf(s.sentinelTls);
  if (sentinelTls) {
    settings.enableTLSForSentinelMode = true;
    settings.sentinelTLS = sentinelTls;
  }
  return settings;
}

/**
 * Whether a Redis error is a READONLY answer: the server is (now) a replica, e.g. a primary
 * demoted by a failover, or a URL that points at a replica. Inside a script it comes wrapped
 * (`ERR Error running script ...: READONLY ...` on older servers).
 *
 * @example
 * if (isReadOnlyError(error)) reconnect();
 */
export function isReadOnlyError(error: unknown): boolean {
  return error instanceof Error && /(^|: |\s)READONLY\b/.test(error.message);
}
