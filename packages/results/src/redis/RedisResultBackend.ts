import { ArgumentError, ConfigurationError, ConnectionClosed, ConnectionError, ConnectionFailed, Missing, QError, ResultBackend, type ResultBackendOptions } from "@q/core";
import Redis, { Cluster, type ClusterNode, type ClusterOptions, type RedisOptions } from "ioredis";
import { BlockingPool } from "./BlockingPool";
import { isReadOnlyError, redactAuthCommand, sentinelRedisOptions, validateRedisUrl, type RedisSentinelOptions } from "@q/core/broker";

/** Options of {@link RedisResultBackend}: a client of yours or a URL, plus Dramatiq's key options. */
export interface RedisResultBackendOptions extends ResultBackendOptions {
  /**
   * An ioredis client for stores and reads (not closed by `close()`); blocking reads use
   * duplicates of it. A `Cluster` works too: every call touches one key.
   */
  client?: Redis | Cluster;
  /**
   * A Redis Cluster instead of `url`: startup nodes and ioredis ClusterOptions (`redisOptions`
   * of the broker's kind go in `options.redisOptions`). Every call touches one key, so results
   * spread over every slot; no hash tag is needed.
   */
  cluster?: { nodes: readonly ClusterNode[]; options?: ClusterOptions };
  /** Where to connect when no client is given; default `redis://127.0.0.1:6379`. */
  url?: string;
  /** More ioredis options for the connections made from `url` (or through `sentinel`). */
  redisOptions?: RedisOptions;
  /**
   * Find the primary through Redis Sentinel instead of `url` (ArgumentError with `url` or
   * `client`); after a failover every connection (the blocking ones too) moves to the
   * promoted replica by itself. Results stored just before a failover can be lost with the
   * old primary (replication is asynchronous).
   *
   * @example
   * new RedisResultBackend({ sentinel: { sentinels: [{ host: "10.0.0.1", port: 26379 }], name: "mymaster" } });
   */
  sentinel?: RedisSentinelOptions;
  /**
   * Most connections held for blocking reads at once; default 8. Each blocked
   * `getResult({ block: true })` occupies one until it returns; further ones queue for a
   * free connection within their own timeout.
   */
  maxBlockingConnections?: number;
}

/** Default bound on blocking connections. */
const DEFAULT_BLOCKING_CONNECTIONS = 8;

/**
 * A {@link ResultBackend} on Redis (ioredis), sharing results with Python Dramatiq's
 * `RedisBackend`: a result is a one-element list at Dramatiq's key, stored with `MULTI DEL,
 * LPUSH, PEXPIRE ttl` and read with `LINDEX key 0`. A blocking read waits on the server
 * (`BLMOVE key key RIGHT LEFT <seconds>`, which leaves the list as it was) instead of
 * polling, with fractional-second timeouts, so a 300 ms timeout is 300 ms (Dramatiq's
 * `BRPOPLPUSH … int(timeout / 1000)` cannot). Those reads run on a bounded pool of
 * connections of their own (`maxBlockingConnections`), so the client that stores never
 * blocks. Needs Redis >= 6.2.
 *
 * @example
 * const backend = new RedisResultBackend({ url: "redis://127.0.0.1:6379/0" });
 * broker.addMiddleware(new Results({ backend }));
 * // ...
 * await backend.close();
 */
export class RedisResultBackend extends ResultBackend {
  /** The client stores and non-blocking reads go through. */
  readonly client: Redis | Cluster;
  private readonly owned: boolean;
  private readonly pool: BlockingPool;
  private closed = false;

  constructor(options: RedisResultBackendOptions = {}) {
    super(options);
    const size = options.maxBlockingConnections ?? DEFAULT_BLOCKING_CONNECTIONS;
    if (!Number.isSafeInteger(size) || size < 1) throw new ArgumentError(`maxBlockingConnections must be a whole number >= 1, got ${String(options.maxBlockingConnections)}.`);
    if (options.client) {
      if (options.url !== undefined || options.redisOptions !== undefined || options.cluster || options.sentinel !== undefined) {
        throw new ArgumentError("RedisResultBackend takes a client, a cluster, or url/sentinel/redisOptions, not more than one.");
      }
      this.client = options.client;
      this.owned = false;
    } else if (options.cluster) {
      if (options.url !== undefined || options.redisOptions !== undefined || options.sentinel !== undefined) throw new ArgumentError("RedisResultBackend takes a cluster or url/sentinel/redisOptions, not both (node options go in cluster.options.redisOptions).");
      if (!Array.isArray(options.cluster.nodes) || options.cluster.nodes.length === 0) throw new ConfigurationError("`cluster.nodes` must list at least one node of the Redis Cluster.");
      this.client = new Cluster([...options.cluster.nodes], { ...options.cluster.options, redisOptions: { maxRetriesPerRequest: 1, ...options.cluster.options?.redisOptions } });
      this.client.on("error", () => undefined); // surfaced by the failing call
      this.owned = true;
    } else {
      if (options.url !== undefined && options.sentinel !== undefined) throw new ArgumentError("RedisResultBackend takes url or sentinel, not both.");
      // A down server fails a call after one reconnection attempt instead of ioredis's 20.
      this.client =
        options.sentinel !== undefined
          ? new Redis({ maxRetriesPerRequest: 1, ...options.redisOptions, ...sentinelRedisOptions(options.sentinel, "RedisResultBackend", true, () => this.closed) })
          : new Redis(validateRedisUrl(options.url ?? "redis://127.0.0.1:6379"), { maxRetriesPerRequest: 1, ...options.redisOptions });
      this.client.on("error", () => undefined); // surfaced by the failing call
      this.owned = true;
    }
    this.pool = new BlockingPool(size, () => {
      // A blocked connection's polite close (FIN) waits for the blocking command to end, up
      // to ioredis's disconnectTimeout (2 s) before it destroys the socket: destroy at once.
      const connection =
        this.client instanceof Cluster
          ? this.client.duplicate([], { redisOptions: { ...this.client.options.redisOptions, disconnectTimeout: 0 } })
          : this.client.duplicate({ disconnectTimeout: 0 });
      connection.on("error", () => undefined);
      return connection;
    });
  }

  /**
   * Closes the connections this backend opened (the client too, if it made it). Pending
   * blocking reads end with {@link ConnectionClosed}.
   *
   * @example
   * await backend.close();
   */
  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pool.close();
    if (this.owned) {
      await this.client.quit().catch(() => undefined);
      // Also after QUIT: it ends ioredis's Sentinel failover detector too, which QUIT leaves open.
      this.client.disconnect();
    }
  }

  protected async getRaw(key: string): Promise<Buffer | typeof Missing> {
    const data = await this.call("get", () => this.client.lindexBuffer(key, 0));
    return data ?? Missing;
  }

  protected async storeRaw(key: string, data: Buffer, ttl: number): Promise<void> {
    const replies = await this.call("store", () => this.client.multi().del(key).lpush(key, data).pexpire(key, Math.max(1, Math.round(ttl))).exec());
    const failed = replies?.find(([error]) => error);
    if (!replies || failed) throw new QError(`Redis result backend: store failed: ${failed?.[0]?.message ?? "transaction aborted"}`, { cause: failed?.[0] });
  }

  protected override async waitRaw(key: string, timeout: number): Promise<Buffer | typeof Missing> {
    if (timeout <= 0) return this.getRaw(key);
    const deadline = performance.now() + timeout;
    const connection = await this.pool.acquire(deadline);
    if (!connection) return this.getRaw(key); // no connection came free in time: one last look
    try {
      // Redis reads 0 as "forever": the shortest real wait is a millisecond.
      const seconds = (Math.max(1, deadline - performance.now()) / 1000).toFixed(3);
      const data = await this.call("blocking get", () => connection.blmoveBuffer(key, key, "RIGHT", "LEFT", seconds));
      return data ?? Missing;
    } finally {
      this.pool.release(connection);
    }
  }

  /** Runs one command; Redis's errors become QErrors (ConnectionError unless Redis answered). */
  private async call<T>(op: string, run: () => Promise<T>): Promise<T> {
    if (this.closed) throw new ConnectionClosed(`Redis result backend: ${op} after close().`, { written: "no" });
    try {
      return await run();
    } catch (error) {
      redactAuthCommand(error); // a refused login's error holds the password; users print causes
      const message = `Redis result backend: ${op} failed: ${(error as Error).message}`;
      if (this.closed) throw new ConnectionClosed(message, { cause: error });
      if (/^(WRONGPASS|NOAUTH)/.test((error as Error).message)) throw new ConnectionFailed(`${message} (Redis refused the credentials)`, { cause: error });
      if (/^(MOVED|ASK) /.test((error as Error).message)) {
        throw new ConfigurationError(`${message} (the server is a Redis Cluster node: use the \`cluster\` option, or an ioredis Cluster as \`client\`)`, { cause: error });
      }
      if (isReadOnlyError(error)) throw new ConnectionError(`${message} (the server is a replica now, e.g. a primary demoted by a failover; nothing was written, and the connection is being made again)`, { cause: error });
      if ((error as Error).name === "ReplyError") throw new QError(message, { cause: error });
      throw new ConnectionError(message, { cause: error });
    }
  }
}
