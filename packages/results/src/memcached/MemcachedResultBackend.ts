import { ArgumentError, ConfigurationError, ConnectionClosed, ConnectionError, Missing, QError, ResultBackend, type ResultBackendOptions } from "@q/core";
import type { MemjsClient, MemjsResponse } from "./MemjsClient";
import { OPCODE, STATUS, frame, setExtras } from "./binaryRequest";

/** Options of {@link MemcachedResultBackend}: a memjs client of yours or servers, plus Dramatiq's key options. */
export interface MemcachedResultBackendOptions extends ResultBackendOptions {
  /** A memjs client (binary protocol) to use; not closed by `close()`. */
  client?: MemjsClient;
  /** `"host[:port],..."` when no client is given; default `127.0.0.1:11211`. */
  servers?: string;
  /** More memjs options (`timeout`, `retries`, `username`/`password`, ...) for the client made from `servers`. */
  memjsOptions?: Record<string, unknown>;
}

/** Longest key memcached takes, in bytes. */
const MAX_KEY_BYTES = 250;

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
    const response = await this.perform("get", OPCODE.GET, key);
    if (response.header.status === STATUS.NOT_FOUND) return Missing;
    if (response.header.status !== STATUS.OK) throw this.failure("get", response);
    return Buffer.from(response.val);
  }

  protected async storeRaw(key: string, data: Buffer, ttl: number): Promise<void> {
    const response = await this.perform("store", OPCODE.SET, key, setExtras(ttl), data);
    if (response.header.status !== STATUS.OK) throw this.failure("store", response);
  }

  private perform(op: string, opcode: number, key: string, extras?: Buffer, value?: Buffer): Promise<MemjsResponse> {
    if (this.closed) return Promise.reject(new ConnectionClosed(`Memcached result backend: ${op} after close().`, { written: "no" }));
    const keyBytes = Buffer.from(key);
    if (keyBytes.length === 0 || keyBytes.length > MAX_KEY_BYTES || /[\s\p{Cc}]/u.test(key)) {
      return Promise.reject(new ArgumentError(`Invalid memcached key ${JSON.stringify(key)}: 1 to ${MAX_KEY_BYTES} bytes, no spaces or control characters (check the namespace, queue and actor names in prefix-key mode).`));
    }
    return new Promise((resolve, reject) => {
      this.client.incrSeq();
      const seq = this.client.seq;
      this.client.perform(key, frame(opcode, keyBytes, seq, extras, value), seq, (error, response) => {
        if (this.closed) reject(new ConnectionClosed(`Memcached result backend: ${op} interrupted by close().`, { cause: error }));
        else if (error || !response) reject(new ConnectionError(`Memcached result backend: ${op} failed: ${error?.message ?? "no response"}`, { cause: error }));
        else resolve(response);
      });
    });
  }

  private failure(op: string, response: MemjsResponse): QError {
    return new QError(`Memcached result backend: ${op} failed with status ${response.header.status} (${response.val.toString("latin1").slice(0, 80)}).`);
  }
}
