import { ArgumentError, ConfigurationError, ConnectionClosed, ConnectionError, Missing, QError, ResultBackend, type ResultBackendOptions } from "@q/core";

/**
 * The part of a memjs `Client` (memjs 1.3) this backend uses: its promise forms of `get`
 * and `set`, which store a value with flags 0 (what pylibmc reads back as bytes). Declared
 * structurally so the types need no `@types/memjs`.
 *
 * @example
 * const client: MemjsClient = require("memjs").Client.create("127.0.0.1:11211");
 */
export interface MemjsClient {
  get(key: string): Promise<{ value: Buffer | null; flags: Buffer | null }>;
  set(key: string, value: Buffer, options: { expires: number }): Promise<boolean | null>;
  close(): void;
}

/** Options of {@link MemcachedResultBackend}: a memjs client of yours or servers, plus Dramatiq's key options. */
export interface MemcachedResultBackendOptions extends ResultBackendOptions {
  /** A memjs client to use, with memjs's default serializer (values stored as given); not closed by `close()`. */
  client?: MemjsClient;
  /** `"host[:port],..."` when no client is given; default `127.0.0.1:11211`. */
  servers?: string;
  /** More memjs options (`timeout`, `retries`, `username`/`password`, ...) for the client made from `servers`. */
  memjsOptions?: Record<string, unknown>;
}

/** Longest key memcached takes, in bytes. */
const MAX_KEY_BYTES = 250;
/** Above 30 days memcached reads an exptime as a Unix time. */
const MAX_RELATIVE_SECONDS = 60 * 60 * 24 * 30;

/**
 * A {@link ResultBackend} on memcached (memjs, binary protocol), sharing results with
 * Python Dramatiq's `MemcachedBackend` (pylibmc): Dramatiq's keys, the encoded bytes with
 * flags 0, a TTL in whole seconds. Unlike Dramatiq, a TTL is rounded up (at least 1 s):
 * Dramatiq truncates, so its sub-second TTLs never expire. memcached cannot block or
 * notify, so a blocking read polls with Dramatiq's backoff (100 ms doubling, at most 2 s
 * apart) and looks once more at its deadline.
 *
 * @example
 * const backend = new MemcachedResultBackend({ servers: "127.0.0.1:11211" });
 * broker.addMiddleware(new Results({ backend }));
 */
export class MemcachedResultBackend extends ResultBackend {
  readonly client: MemjsClient;
  private readonly owned: boolean;
  private closed = false;

  constructor(options: MemcachedResultBackendOptions = {}) {
    super(options);
    if (options.client) {
      if (options.servers !== undefined || options.memjsOptions !== undefined) throw new ArgumentError("MemcachedResultBackend takes a client or servers/memjsOptions, not both.");
      this.client = options.client;
      this.owned = false;
      return;
    }
    const servers = options.servers ?? "127.0.0.1:11211";
    if (typeof servers !== "string" || !/^([^,\s]+)(,[^,\s]+)*$/.test(servers)) {
      throw new ConfigurationError(`Invalid memcached servers ${JSON.stringify(servers)}: expected "host[:port],...".`);
    }
    let memjs: { Client: { create(servers: string, options: object): MemjsClient } };
    try {
      // Loaded here, not at import: memjs is an optional peer dependency.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      memjs = require("memjs") as typeof memjs;
    } catch (error) {
      throw new ConfigurationError("MemcachedResultBackend needs the memjs package: npm install memjs.", { cause: error });
    }
    this.client = memjs.Client.create(servers, { logger: { log: () => undefined }, ...options.memjsOptions });
    this.owned = true;
  }

  /**
   * Closes the client, if this backend made it; later calls fail with {@link ConnectionClosed}.
   *
   * @example
   * await backend.close();
   */
  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.owned) this.client.close();
  }

  protected async getRaw(key: string): Promise<Buffer | typeof Missing> {
    const { value } = await this.perform("get", key, () => this.client.get(key));
    return value ?? Missing;
  }

  protected async storeRaw(key: string, data: Buffer, ttl: number): Promise<void> {
    // Whole seconds rounded up, at least 1 (Dramatiq's int(ttl / 1000) makes a sub-second
    // TTL 0: "never expires"); past 30 days memcached wants a Unix time.
    const seconds = Math.max(1, Math.ceil(ttl / 1000));
    const expires = seconds > MAX_RELATIVE_SECONDS ? Math.floor(Date.now() / 1000) + seconds : seconds;
    const stored = await this.perform("store", key, () => this.client.set(key, data, { expires }));
    if (stored !== true) throw new QError(`Memcached result backend: store of ${JSON.stringify(key)} was refused.`);
  }

  private async perform<T>(op: string, key: string, run: () => Promise<T>): Promise<T> {
    if (this.closed) throw new ConnectionClosed(`Memcached result backend: ${op} after close().`, { written: "no" });
    const bytes = Buffer.byteLength(key);
    if (bytes === 0 || bytes > MAX_KEY_BYTES || /[\s\p{Cc}]/u.test(key)) {
      throw new ArgumentError(`Invalid memcached key ${JSON.stringify(key)}: 1 to ${MAX_KEY_BYTES} bytes, no spaces or control characters (check the namespace, queue and actor names in prefix-key mode).`);
    }
    try {
      return await run();
    } catch (error) {
      if (this.closed) throw new ConnectionClosed(`Memcached result backend: ${op} interrupted by close().`, { cause: error });
      throw new ConnectionError(`Memcached result backend: ${op} failed: ${(error as Error).message}`, { cause: error });
    }
  }

}
