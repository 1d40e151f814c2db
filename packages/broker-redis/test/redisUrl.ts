import Redis from "ioredis";

/** The test server (tooling/scripts/services.sh starts it). */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** Fails loudly (never skips) when the test server is not there. */
export async function requireRedis(): Promise<void> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new Error(`Redis is not reachable at ${REDIS_URL}: run bash tooling/scripts/services.sh redis (${(error as Error).message})`, { cause: error });
  } finally {
    client.disconnect();
  }
}

/** A namespace no other test uses, so tests never touch each other's keys. */
export function freshNamespace(): string {
  return `qtest-${Math.random().toString(16).slice(2, 10)}`;
}
