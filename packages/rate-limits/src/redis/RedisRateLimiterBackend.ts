import { ConfigurationError, ConnectionError, ConnectionFailed, QError, type RateLimiterBackend } from "@q/core";
import Redis, { Cluster, type ClusterNode, type ClusterOptions, type RedisOptions } from "ioredis";
import { DECR, INCR, INCR_AND_SUM, NOTIFY, type Script } from "./scripts";
import { isReadOnlyError, redactAuthCommand, sentinelRedisOptions, validateRedisUrl, type RedisSentinelOptions } from "@q/core/broker";

/** Options of {@link RedisRateLimiterBackend}: a client of yours, or a URL to connect to. */
export interface RedisRateLimiterBackendOptions {
  /**
   * An ioredis client to use (not closed by `close()`). Blocking waits use duplicates of it.
   * A `Cluster` works too (see `cluster`).
   */
  client?: Redis | Cluster;
  /**
   * A Redis Cluster instead of `url`: startup nodes and ioredis ClusterOptions. Every call
   * touches one key except a WindowRateLimiter's, which reads its whole window in one
   * script: give such a limiter a key with a hash tag (`"{api}"`), or it fails with
   * ConfigurationError (CROSSSLOT). Other limiters, barriers and group callbacks need none.
   */
  cluster?: { nodes: readonly ClusterNode[]; options?: ClusterOptions };
  /** Where to connect when no client is given; default `redis://127.0.0.1:6379`. */
  url?: string;
  /** More ioredis options for the connection made from `url` (or through `sentinel`). */
  redisOptions?: RedisOptions;
  /**
   * Find the primary through Redis Sentinel instead of `url` (ConfigurationError with `url`
   * or `client`); after a failover the backend moves to the promoted replica by itself.
   * Calls made while no primary is up fail after one reconnect attempt, as on any outage.
   *
   * @example
   * new RedisRateLimiterBackend({ sentinel: { sentinels: [{ host: "10.0.0.1", port: 26379 }], name: "mymaster" } });
   */
  sentinel?: RedisSentinelOptions;
}

/**
 * A {@link RateLimiterBackend} on Redis (ioredis), sharing keys and values with Python
 * Dramatiq's `RedisBackend`: keys verbatim (no namespace), counters as decimal strings,
 * TTLs in ms refreshed on each change, barrier events as a list holding `"x"`. Where
 * Dramatiq loops on WATCH/MULTI, every operation here is one atomic round trip (a Lua
 * script by EVALSHA, or `SET NX PX`). `wait` blocks on the server (BRPOPLPUSH) on a
 * connection of its own and honours sub-second timeouts (Redis >= 6.0).
 *
 * @example
 * const backend = new RedisRateLimiterBackend({ url: "redis://127.0.0.1:6379/0" });
 * const mutex = new ConcurrentRateLimiter(backend, "distributed-mutex");
 * broker.addMiddleware(new GroupCallbacks(backend)); // group callbacks across processes
 * // ...
 * await backend.close();
 */
export class RedisRateLimiterBackend implements RateLimiterBackend {
  /** The client every non-blocking command goes through. */
  readonly client: Redis | Cluster;
  private readonly owned: boolean;
  /** Idle duplicates for blocking waits (a blocked connection can do nothing else). */
  private readonly idle: (Redis | Cluster)[] = [];
  private readonly blocking = new Set<Redis | Cluster>();
  private closed = false;

  constructor(options: RedisRateLimiterBackendOptions = {}) {
    if (options.sentinel !== undefined && (options.url !== undefined || options.client !== undefined)) {
      throw new ConfigurationError("RedisRateLimiterBackend: give sentinel, url or client, not two of them.");
    }
    if (options.client) {
      this.client = options.client;
      this.owned = false;
    } else if (options.cluster) {
      if (options.url !== undefined || options.redisOptions !== undefined || options.sentinel !== undefined) throw new ConfigurationError("RedisRateLimiterBackend takes a cluster or url/sentinel/redisOptions, not both (node options go in cluster.options.redisOptions).");
      if (!Array.isArray(options.cluster.nodes) || options.cluster.nodes.length === 0) throw new ConfigurationError("`cluster.nodes` must list at least one node of the Redis Cluster.");
      this.client = new Cluster([...options.cluster.nodes], { ...options.cluster.options, redisOptions: { maxRetriesPerRequest: 1, ...options.cluster.options?.redisOptions } });
      this.client.on("error", () => undefined);
      this.owned = true;
    } else {
      // One retry: a limiter guarding an actor should fail fast (a ConnectionError the retry
      // policy handles) rather than hold the message for ioredis's 20 reconnect attempts (~70 s).
      this.client =
        options.sentinel !== undefined
          ? new Redis({ maxRetriesPerRequest: 1, ...options.redisOptions, ...sentinelRedisOptions(options.sentinel, "RedisRateLimiterBackend", true, () => this.closed) })
          : new Redis(validateRedisUrl(options.url ?? "redis://127.0.0.1:6379"), { maxRetriesPerRequest: 1, ...options.redisOptions });
      // Without a listener ioredis prints "Unhandled error event" on every failed reconnect;
      // the failure reaches the user as the failing call's ConnectionError instead.
      this.client.on("error", () => undefined);
      this.owned = true;
    }
  }

  /**
   * `SET key value PX ttl NX`: true when set.
   *
   * @example
   * await backend.add("mutex", 1, 60_000)
   */
  async add(key: string, value: number, ttl: number): Promise<boolean> {
    const reply = await this.call("add", () => this.client.set(key, String(value), "PX", ttl, "NX"));
    return reply === "OK";
  }

  /**
   * Adds `amount` (a missing key is 0) unless that passes `maximum`; one script call.
   *
   * @example
   * await backend.incr("mutex", 1, 5, 900_000)
   */
  async incr(key: string, amount: number, maximum: number, ttl: number): Promise<boolean> {
    return (await this.eval(INCR, [key], [amount, maximum, ttl])) === 1;
  }

  /**
   * Subtracts `amount` (a missing key is 0) unless that drops below `minimum`; one script call.
   *
   * @example
   * await backend.decr("mutex", 1, 0, 900_000)
   */
  async decr(key: string, amount: number, minimum: number, ttl: number): Promise<boolean> {
    return (await this.eval(DECR, [key], [amount, minimum, ttl])) === 1;
  }

  /**
   * Adds `amount` to `key` unless it, or `amount` plus the sum of `keys()`, passes `maximum`; one script call.
   *
   * @example
   * await backend.incrAndSum("api@1700000000", () => ["api@1700000000", "api@1699999999"], 1, 10, 2_000)
   */
  async incrAndSum(key: string, keys: () => string[], amount: number, maximum: number, ttl: number): Promise<boolean> {
    return (await this.eval(INCR_AND_SUM, [key, ...keys()], [amount, maximum, ttl])) === 1;
  }

  /**
   * Blocks up to `timeout` ms (forever when undefined; 0 only checks) until the list at
   * `key` has an element, without taking it (BRPOPLPUSH key key); true iff it is `"x"`.
   *
   * @example
   * const cleared = await backend.wait("import-42@events", 5_000)
   */
  async wait(key: string, timeout: number | undefined): Promise<boolean> {
    if (timeout !== undefined && timeout <= 0) {
      return (await this.call("wait", () => this.client.lindex(key, -1))) === "x";
    }
    // Redis reads 0 as "forever": the shortest real wait is a millisecond.
    const seconds = timeout === undefined ? 0 : Math.max(timeout, 1) / 1000;
    const connection = this.idle.pop() ?? (this.client instanceof Cluster ? this.client.duplicate([]) : this.client.duplicate());
    this.blocking.add(connection);
    try {
      const element = await this.call("wait", () => connection.brpoplpush(key, key, seconds));
      return element === "x";
    } finally {
      this.blocking.delete(connection);
      if (this.closed) connection.disconnect();
      else this.idle.push(connection);
    }
  }

  /**
   * Notifies `key`'s waiters, now and for `ttl` ms: `RPUSH key "x"` and `PEXPIRE key ttl`, atomically.
   *
   * @example
   * await backend.waitNotify("import-42@events", 60_000)
   */
  async waitNotify(key: string, ttl: number): Promise<void> {
    await this.eval(NOTIFY, [key], [ttl]);
  }

  /**
   * Closes the connections this backend opened (the client too, if it made it). Blocked
   * waits end with a ConnectionError.
   *
   * @example
   * await backend.close();
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const c of [...this.idle.splice(0), ...this.blocking]) c.disconnect();
    if (!this.owned) return;
    // QUIT needs a connection; without one, disconnect() also cancels a pending reconnect.
    if (this.client.status === "ready") await this.client.quit().catch(() => undefined);
    // Also after QUIT: it ends ioredis's Sentinel failover detector too, which QUIT leaves open.
    this.client.disconnect();
  }

  private async eval(script: Script, keys: string[], args: number[]): Promise<unknown> {
    return this.call(script.name, async () => {
      try {
        return await this.client.evalsha(script.sha, keys.length, ...keys, ...args);
      } catch (error) {
        // First use on this server (or after SCRIPT FLUSH): EVAL also caches it.
        if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
        return this.client.eval(script.source, keys.length, ...keys, ...args);
      }
    });
  }

  /** Runs one command; Redis's errors become QErrors (ConnectionError unless Redis answered). */
  private async call<T>(op: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      redactAuthCommand(error); // a refused login's error holds the password; users print causes
      const message = `Redis rate-limiter backend: ${op} failed: ${(error as Error).message}`;
      if (/^(WRONGPASS|NOAUTH)/.test((error as Error).message)) throw new ConnectionFailed(`${message} (Redis refused the credentials)`, { cause: error });
      if (/CROSSSLOT|do not hash to the same slot|non.local key/i.test((error as Error).message)) {
        throw new ConfigurationError(
          `${message} (on a Redis Cluster a WindowRateLimiter's keys must share a slot: give the limiter's key a hash tag, e.g. "{partner-api}" instead of "partner-api")`,
          { cause: error },
        );
      }
      if (/^(MOVED|ASK) /.test((error as Error).message)) {
        throw new ConfigurationError(`${message} (the server is a Redis Cluster node: use the \`cluster\` option, or an ioredis Cluster as \`client\`)`, { cause: error });
      }
      if (isReadOnlyError(error)) throw new ConnectionError(`${message} (the server is a replica now, e.g. a primary demoted by a failover; nothing was written, and the connection is being made again)`, { cause: error });
      if ((error as Error).name === "ReplyError") throw new QError(message, { cause: error });
      throw new ConnectionError(message, { cause: error });
    }
  }
}
