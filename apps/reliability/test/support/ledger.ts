import Redis from "ioredis";
import { REDIS_URL } from "@q/test-support/redis";

export interface LedgerEntry {
  readonly i: number;
  readonly pid: number;
  readonly at: number;
}

export interface LedgerSummary {
  /** Distinct messages processed. */
  readonly processed: number;
  /** Messages (of 0..n-1) never processed. */
  readonly missing: number[];
  /** Extra runs: entries beyond the first per message. */
  readonly duplicates: number;
  /** Messages that ran more than once. */
  readonly duplicated: number[];
}

/**
 * What the fixture actor `chaos_work(i)` recorded: one entry per run, duplicates included,
 * on the shared test Redis (REDIS_URL), which the suite never breaks.
 *
 * @example
 * const ledger = await Ledger.open();
 * const q = startQ({ ..., env: ledger.env });
 * await ledger.waitForAll(2000);
 * expect(await ledger.summary(2000)).toMatchObject({ missing: [], duplicates: 0 });
 */
export class Ledger {
  private constructor(
    readonly key: string,
    private readonly redis: Redis,
  ) {}

  static async open(): Promise<Ledger> {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const key = `q-chaos-ledger:${process.pid}:${Date.now()}:${Math.random().toString(36).slice(2, 8)}`;
    await redis.del(key);
    return new Ledger(key, redis);
  }

  /** The environment a `q` running the fixture actors needs to write here. */
  get env(): NodeJS.ProcessEnv {
    return { LEDGER_URL: REDIS_URL, LEDGER_KEY: this.key };
  }

  async entries(): Promise<LedgerEntry[]> {
    const raw = await this.redis.lrange(this.key, 0, -1);
    return raw.map((line) => {
      const [i, pid, at] = line.split(":").map(Number);
      return { i: i!, pid: pid!, at: at! };
    });
  }

  async length(): Promise<number> {
    return this.redis.llen(this.key);
  }

  /** Counts runs of messages 0..n-1 (entries outside that range fail the count). */
  async summary(n: number): Promise<LedgerSummary> {
    const counts = new Uint32Array(n);
    for (const { i } of await this.entries()) {
      if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`The ledger holds a message ${i} that was never sent (0..${n - 1}).`);
      counts[i]!++;
    }
    const missing: number[] = [];
    const duplicated: number[] = [];
    let duplicates = 0;
    counts.forEach((c, i) => {
      if (c === 0) missing.push(i);
      if (c > 1) {
        duplicated.push(i);
        duplicates += c - 1;
      }
    });
    return { processed: n - missing.length, missing, duplicates, duplicated };
  }

  /** Waits until every one of messages 0..n-1 has run at least once; fails after `timeout` ms naming how many are missing. */
  async waitForAll(n: number, timeout: number): Promise<void> {
    const deadline = Date.now() + timeout;
    for (;;) {
      if ((await this.length()) >= n && (await this.summary(n)).missing.length === 0) return;
      if (Date.now() > deadline) {
        const { missing } = await this.summary(n);
        throw new Error(`${missing.length} of ${n} messages were not processed within ${timeout} ms (first: ${missing.slice(0, 10).join(", ")}).`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async close(): Promise<void> {
    await this.redis.del(this.key).catch(() => undefined);
    this.redis.disconnect();
  }
}
