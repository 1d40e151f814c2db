import type { Encoder } from "../encoding/Encoder";
import { ConnectionClosed } from "../errors/ConnectionClosed";
import { Missing } from "../results/Missing";
import { ResultBackend, type ResultBackendOptions } from "../results/ResultBackend";

/** Options of {@link MemoryResultBackend}. */
export interface MemoryResultBackendOptions extends ResultBackendOptions {
  /** Milliseconds clock used for expiries; default `performance.now()` (monotonic). Tests may inject one. */
  now?: () => number;
  encoder?: Encoder;
}

interface Entry {
  data: Buffer;
  expiresAt: number;
}

/** Below this many keys the store is never swept. */
const MIN_SWEEP_SIZE = 1024;

/**
 * An in-memory {@link ResultBackend} for tests and single-process apps (Dramatiq's
 * `StubBackend`, which it improves on: expiries are in milliseconds, not whole seconds,
 * and blocking reads wake the moment a result is stored instead of polling). Each
 * instance has its own store. Expired results are dropped lazily (on access, plus an
 * amortised sweep as the store grows), so memory stays bounded by the live results.
 *
 * @example
 * const backend = new MemoryResultBackend();
 * const broker = new StubBroker({ middleware: [...defaultMiddleware(), new Results({ backend })] });
 */
export class MemoryResultBackend extends ResultBackend {
  private readonly entries = new Map<string, Entry>();
  private readonly waiters = new Map<string, Set<(error?: Error) => void>>();
  private readonly now: () => number;
  private sweepAt = MIN_SWEEP_SIZE;

  constructor(options: MemoryResultBackendOptions = {}) {
    super(options);
    this.now = options.now ?? (() => performance.now());
  }

  /** Results held right now (expired ones linger until touched or swept). */
  get size(): number {
    return this.entries.size;
  }

  /** Forgets every stored result. */
  clear(): void {
    this.entries.clear();
  }

  /**
   * Ends every pending blocking read with {@link ConnectionClosed}, as a server backend's
   * close does; the stored results stay readable.
   *
   * @example
   * await backend.close();
   */
  override async close(): Promise<void> {
    const closed = new ConnectionClosed("The memory result backend was closed while a blocking getResult waited.", { written: "no" });
    for (const waiting of [...this.waiters.values()]) for (const end of [...waiting]) end(closed);
  }

  protected async getRaw(key: string): Promise<Buffer | typeof Missing> {
    return this.lookup(key);
  }

  private lookup(key: string): Buffer | typeof Missing {
    const entry = this.entries.get(key);
    if (!entry) return Missing;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return Missing;
    }
    return entry.data;
  }

  protected async storeRaw(key: string, data: Buffer, ttl: number): Promise<void> {
    this.entries.delete(key); // re-inserted last: the map stays in expiry order for equal TTLs
    this.entries.set(key, { data, expiresAt: this.now() + ttl });
    if (this.entries.size >= this.sweepAt) this.sweep();
    const waiting = this.waiters.get(key);
    if (waiting) for (const wake of [...waiting]) wake();
  }

  protected override async waitRaw(key: string, timeout: number): Promise<Buffer | typeof Missing> {
    // Look and register in one synchronous step: a store between an awaited look and the
    // registration would go unnoticed until the timeout.
    const first = this.lookup(key);
    if (first !== Missing || timeout <= 0) return first;
    await new Promise<void>((resolve, reject) => {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      const waiting = set;
      const done = (error?: Error) => {
        clearTimeout(timer);
        waiting.delete(done);
        if (waiting.size === 0) this.waiters.delete(key);
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(() => done(), timeout);
      waiting.add(done);
    });
    return this.lookup(key);
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    this.sweepAt = Math.max(MIN_SWEEP_SIZE, this.entries.size * 2);
  }
}
