import Redis from "ioredis";

/**
 * The harness's own Redis connection: server facts for the report, and clean-up of a
 * run's keys. Never used while a measurement runs.
 */
export class RedisAdmin {
  readonly client: Redis;

  constructor(url: string) {
    this.client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  /** `redis_version` and a few settings that matter for the numbers. */
  async serverInfo(): Promise<{ version: string; persistence: string }> {
    const info = await this.client.info("server");
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown";
    const [, save] = (await this.client.config("GET", "save")) as string[];
    const [, aof] = (await this.client.config("GET", "appendonly")) as string[];
    const persistence = `save="${save ?? "?"}", appendonly=${aof ?? "?"}`;
    return { version, persistence };
  }

  /** CPU time redis-server has used so far (user + system, all threads), in ms. */
  async serverCpuMs(): Promise<number> {
    const info = await this.client.info("cpu");
    const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1] ?? Number.NaN);
    return 1000 * (field("used_cpu_user") + field("used_cpu_sys"));
  }

  /** Every key under `prefix:` (the run's keys). */
  async keysOf(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await this.client.scan(cursor, "MATCH", `${escapeGlob(prefix)}:*`, "COUNT", 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== "0");
    return keys;
  }

  /** Deletes every key under `prefix:`; resolves to how many there were. */
  async deleteKeys(prefix: string): Promise<number> {
    const keys = await this.keysOf(prefix);
    for (let i = 0; i < keys.length; i += 500) await this.client.unlink(...keys.slice(i, i + 500));
    return keys.length;
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
