import { setTimeout as sleep } from "node:timers/promises";
import { ArgumentError, ConfigurationError, ConnectionError, QError, type RateLimiterBackend } from "@q/core";
import type { MemjsClient, MemjsResponse } from "./MemjsClient";
import { OP, PYLIBMC_INT_FLAG, STATUS, exptime, request, storeExtras } from "./binaryProtocol";

/** Options of {@link MemcachedRateLimiterBackend}: a memjs client of yours, or servers to connect to. */
export interface MemcachedRateLimiterBackendOptions {
  /** A memjs client (binary protocol) to use; not closed by `close()`. */
  client?: MemjsClient;
  /** `"host[:port],..."` when no client is given; default `127.0.0.1:11211`. */
  servers?: string;
  /** More memjs options (`timeout`, `retries`, `username`/`password`, ...) for the client made from `servers`. */
  memjsOptions?: Record<string, unknown>;
  /** Longest pause between two checks of a blocking `wait`, ms; default 100. */
  maxPollInterval?: number;
}

interface Item {
  value: number;
  cas: Buffer;
}

/** Longest key memcached takes, in bytes. */
const MAX_KEY_BYTES = 250;
/** How often a contended compare-and-set is tried before giving up (it means constant writers). */
const MAX_CAS_TRIES = 100;

/**
 * A {@link RateLimiterBackend} on memcached (memjs, binary protocol), sharing counters
 * with Python Dramatiq's `MemcachedBackend` (pylibmc): keys verbatim, integers as ASCII
 * digits with pylibmc's integer flag (4), so Python reads them back as ints and
 * increments them, and reads its counters in turn. TTLs are whole seconds (memcached's
 * granularity; a sub-second TTL becomes 1 s rather than "never").
 *
 * Unlike Dramatiq's backend, `incr` and `decr` never pass their bound: each is a
 * compare-and-set (`gets`, then `cas` with the new value and TTL), so a refused call
 * changes nothing (Dramatiq's `incr` leaves the counter raised when it refuses, so a
 * busy mutex can wedge until the key expires) and every change refreshes the TTL.
 * memcached cannot notify: `wait` polls the event key with backoff (5 ms doubling up to
 * `maxPollInterval`), which Dramatiq does not offer at all (NotImplementedError), and
 * `waitNotify` writes the event key for its TTL. Python parties never write it, so a
 * blocking @q waiter only sees barriers cleared by @q parties.
 *
 * @example
 * const backend = new MemcachedRateLimiterBackend({ servers: "127.0.0.1:11211" });
 * const mutex = new ConcurrentRateLimiter(backend, "distributed-mutex");
 * broker.addMiddleware(new GroupCallbacks(backend));
 */
export class MemcachedRateLimiterBackend implements RateLimiterBackend {
  readonly client: MemjsClient;
  private readonly owned: boolean;
  private readonly maxPollInterval: number;

  constructor(options: MemcachedRateLimiterBackendOptions = {}) {
    this.maxPollInterval = options.maxPollInterval ?? 100;
    if (!(this.maxPollInterval >= 1)) throw new ConfigurationError(`maxPollInterval must be at least 1 ms, got ${String(options.maxPollInterval)}.`);
    if (options.client) {
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
      throw new ConfigurationError("MemcachedRateLimiterBackend needs the memjs package: npm install memjs.", { cause: error });
    }
    this.client = memjs.Client.create(servers, { logger: { log: () => undefined }, ...options.memjsOptions });
    this.owned = true;
  }

  /**
   * Stores `value` for `ttl` unless `key` exists (memcached `add`); true when stored.
   *
   * @example
   * await backend.add("mutex", 1, 60_000)
   */
  async add(key: string, value: number, ttl: number): Promise<boolean> {
    const response = await this.perform("add", OP.ADD, key, storeExtras(PYLIBMC_INT_FLAG, exptime(ttl)), Buffer.from(String(value)));
    if (response.header.status === STATUS.OK) return true;
    if (response.header.status === STATUS.EXISTS || response.header.status === STATUS.NOT_STORED) return false;
    throw this.failure("add", response);
  }

  /**
   * Adds `amount` (a missing key is 0) unless that passes `maximum`: compare-and-set,
   * so a refusal changes nothing.
   *
   * @example
   * await backend.incr("mutex", 1, 5, 900_000)
   */
  incr(key: string, amount: number, maximum: number, ttl: number): Promise<boolean> {
    return this.update("incr", key, ttl, (v) => (v + amount <= maximum ? v + amount : undefined));
  }

  /**
   * Subtracts `amount` (a missing key is 0) unless that drops below `minimum`.
   *
   * @example
   * await backend.decr("mutex", 1, 0, 900_000)
   */
  decr(key: string, amount: number, minimum: number, ttl: number): Promise<boolean> {
    return this.update("decr", key, ttl, (v) => (v - amount >= minimum ? v - amount : undefined));
  }

  /**
   * Adds `amount` to `key` unless it, or `amount` plus the sum of `keys()`, passes
   * `maximum` (Dramatiq's add-then-gets/cas loop).
   *
   * @example
   * await backend.incrAndSum("api@1700000000", () => ["api@1700000000", "api@1699999999"], 1, 10, 2_000)
   */
  async incrAndSum(key: string, keys: () => string[], amount: number, maximum: number, ttl: number): Promise<boolean> {
    await this.add(key, 0, ttl);
    return this.update("incrAndSum", key, ttl, async (v) => {
      if (v + amount > maximum) return undefined;
      const others = keys().filter((k) => k !== key);
      const values = await Promise.all(others.map((k) => this.gets(k)));
      const total = amount + v + values.reduce((sum, item) => sum + (item?.value ?? 0), 0);
      return total > maximum ? undefined : v + amount;
    });
  }

  /**
   * Resolves true once `key` holds a notification (checks with backoff: memcached cannot
   * notify), false after `timeout` ms (forever when undefined; 0 only checks).
   *
   * @example
   * const cleared = await backend.wait("import-42@events", 5_000)
   */
  async wait(key: string, timeout: number | undefined): Promise<boolean> {
    const deadline = timeout === undefined ? Infinity : performance.now() + timeout;
    let pause = 5;
    for (;;) {
      if (await this.notified(key)) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await sleep(Math.min(pause, left));
      pause = Math.min(pause * 2, this.maxPollInterval);
    }
  }

  /**
   * Marks `key` notified for `ttl` (the value `"x"`).
   *
   * @example
   * await backend.waitNotify("import-42@events", 60_000)
   */
  async waitNotify(key: string, ttl: number): Promise<void> {
    const response = await this.perform("waitNotify", OP.SET, key, storeExtras(0, exptime(ttl)), Buffer.from("x"));
    if (response.header.status !== STATUS.OK) throw this.failure("waitNotify", response);
  }

  /**
   * Closes the client, if this backend made it.
   *
   * @example
   * await backend.close();
   */
  async close(): Promise<void> {
    if (this.owned) this.client.close();
  }

  private async notified(key: string): Promise<boolean> {
    const response = await this.perform("wait", OP.GET, key, Buffer.alloc(0), Buffer.alloc(0));
    if (response.header.status === STATUS.NOT_FOUND) return false;
    if (response.header.status !== STATUS.OK) throw this.failure("wait", response);
    return response.val.toString("latin1") === "x";
  }

  /**
   * Compare-and-set: reads the counter (missing = 0), asks `next` for the new value
   * (undefined refuses) and writes it only if nobody wrote in between, else tries again.
   */
  private async update(op: string, key: string, ttl: number, next: (value: number) => number | undefined | Promise<number | undefined>): Promise<boolean> {
    for (let tries = 0; tries < MAX_CAS_TRIES; tries++) {
      const item = await this.gets(key);
      const value = await next(item?.value ?? 0);
      if (value === undefined) return false;
      if (value < 0) return false; // memcached counters are unsigned
      const data = Buffer.from(String(value));
      const extras = storeExtras(PYLIBMC_INT_FLAG, exptime(ttl));
      const response = item
        ? await this.perform(op, OP.SET, key, extras, data, item.cas)
        : await this.perform(op, OP.ADD, key, extras, data);
      const status = response.header.status;
      if (status === STATUS.OK) return true;
      if (status !== STATUS.EXISTS && status !== STATUS.NOT_FOUND && status !== STATUS.NOT_STORED) throw this.failure(op, response);
    }
    throw new QError(`Memcached rate-limiter backend: ${op} of ${JSON.stringify(key)} lost ${MAX_CAS_TRIES} compare-and-set races in a row.`);
  }

  private async gets(key: string): Promise<Item | undefined> {
    const response = await this.perform("get", OP.GET, key, Buffer.alloc(0), Buffer.alloc(0));
    if (response.header.status === STATUS.NOT_FOUND) return undefined;
    if (response.header.status !== STATUS.OK) throw this.failure("get", response);
    // memcached's own incr/decr (pylibmc's) keep the item's length: "10" decremented is "9 ".
    const text = response.val.toString("latin1").trimEnd();
    const value = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
      throw new QError(`Memcached rate-limiter backend: key ${JSON.stringify(key)} holds ${JSON.stringify(text.slice(0, 40))}, not an integer.`);
    }
    return { value, cas: Buffer.from(response.header.cas) };
  }

  private perform(op: string, opcode: number, key: string, extras: Buffer, value: Buffer, cas?: Buffer): Promise<MemjsResponse> {
    const keyBytes = Buffer.from(key);
    if (keyBytes.length === 0 || keyBytes.length > MAX_KEY_BYTES || /[\s\p{Cc}]/u.test(key)) {
      return Promise.reject(new ArgumentError(`Invalid memcached key ${JSON.stringify(key)}: 1 to ${MAX_KEY_BYTES} bytes, no spaces or control characters.`));
    }
    return new Promise((resolve, reject) => {
      this.client.incrSeq();
      const seq = this.client.seq;
      this.client.perform(key, request(opcode, keyBytes, extras, value, seq, cas), seq, (error, response) => {
        if (error || !response) reject(new ConnectionError(`Memcached rate-limiter backend: ${op} failed: ${error?.message ?? "no response"}`, { cause: error }));
        else resolve(response);
      });
    });
  }

  private failure(op: string, response: MemjsResponse): QError {
    return new QError(`Memcached rate-limiter backend: ${op} failed with status ${response.header.status} (${response.val.toString("latin1").slice(0, 80)}).`);
  }
}
