import net from "node:net";
import { ConnectionError } from "@q/core";
import { RedisRateLimiterBackend } from "../src/redis";

/** A port on which nothing listens (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test("with Redis down a limiter call fails with ConnectionError within seconds and ioredis prints nothing", async () => {
  const printed = jest.spyOn(console, "error");
  const backend = new RedisRateLimiterBackend({ url: `redis://127.0.0.1:${await closedPort()}` });
  try {
    const started = Date.now();
    const error = await backend.add(`down-${Date.now()}`, 1, 1000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    // ioredis's default (20 reconnect attempts) took about 70 s here.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(printed).not.toHaveBeenCalled();
  } finally {
    printed.mockRestore();
    await backend.close();
  }
});
