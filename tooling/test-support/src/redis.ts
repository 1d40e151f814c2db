import Redis from "ioredis";

/** The test server (tooling/scripts/services.sh starts it). */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/**
 * Fails loudly (never skips) when the test Redis is not there.
 *
 * @example
 * beforeAll(() => requireRedis());
 */
export async function requireRedis(url: string = REDIS_URL): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new Error(`Redis is not reachable at ${url}: run bash tooling/scripts/services.sh redis (${(error as Error).message})`, { cause: error });
  } finally {
    client.disconnect();
  }
}

/**
 * A namespace no other test uses, so tests sharing one Redis never touch each other's keys.
 *
 * @example
 * const broker = new RedisBroker({ namespace: freshNamespace() });
 */
export function freshNamespace(prefix = "qtest"): string {
  return `${prefix}-${Math.random().toString(16).slice(2, 10)}`;
}

/**
 * Deletes every key of a namespace (`ns:*`).
 *
 * @example
 * afterEach(() => deleteNamespace(admin, namespace));
 */
export async function deleteNamespace(client: Redis, namespace: string): Promise<void> {
  const keys = await client.keys(`${namespace}:*`);
  if (keys.length) await client.del(...keys);
}
