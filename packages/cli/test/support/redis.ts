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

/** A namespace no other test uses. */
export function freshNamespace(): string {
  return `qclitest-${Math.random().toString(16).slice(2, 10)}`;
}

/** Deletes every key of a namespace. */
export async function deleteNamespace(client: Redis, namespace: string): Promise<void> {
  const keys = await client.keys(`${namespace}:*`);
  if (keys.length) await client.del(...keys);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something truthy; fails naming `what` after `timeout` ms. */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, { timeout = 10_000, interval = 25 } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() >= deadline) throw new Error(`Timed out after ${timeout} ms waiting for ${what}.`);
    await sleep(interval);
  }
}
