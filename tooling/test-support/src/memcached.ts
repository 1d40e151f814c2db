import { connect } from "node:net";

/** The test servers, `host:port[,host:port]` (tooling/scripts/services.sh starts one). */
export const MEMCACHED_SERVERS = process.env.MEMCACHED_SERVERS ?? "127.0.0.1:11211";

/**
 * Fails loudly (never skips) when the test memcached is not there: asks the first server
 * for its version over the text protocol.
 *
 * @example
 * beforeAll(() => requireMemcached());
 */
export async function requireMemcached(servers: string = MEMCACHED_SERVERS): Promise<void> {
  const [host, port = "11211"] = servers.split(",")[0]!.split(":");
  await new Promise<void>((resolve, reject) => {
    const fail = (why: string) => {
      socket.destroy();
      reject(new Error(`memcached is not reachable at ${servers}: run bash tooling/scripts/services.sh memcached (${why})`));
    };
    const socket = connect({ host, port: Number(port) }, () => socket.write("version\r\n"));
    socket.setTimeout(2_000, () => fail("no answer within 2 s"));
    socket.on("error", (error) => fail(error.message));
    socket.on("data", (data) => {
      socket.destroy();
      if (data.toString("latin1").startsWith("VERSION")) resolve();
      else fail(`unexpected answer ${JSON.stringify(data.toString("latin1").slice(0, 40))}`);
    });
  });
}

/**
 * A key prefix no other test uses, so tests sharing one memcached never touch each other's keys.
 *
 * @example
 * const key = `${freshPrefix()}:mutex`;
 */
export function freshPrefix(prefix = "qtest"): string {
  return `${prefix}-${Math.random().toString(16).slice(2, 10)}`;
}
