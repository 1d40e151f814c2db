/** The parts of a `redis://[:password@]host[:port][/db]` URL the libraries take as options. */
export interface RedisAddress {
  host: string;
  port: number;
  db: number;
  password?: string;
}

export function parseRedisUrl(url: string): RedisAddress {
  const u = new URL(url);
  if (u.protocol !== "redis:") throw new Error(`Only redis:// URLs are supported by the benchmark, got ${url}`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new Error(`Bad database number in ${url}`);
  return {
    host: u.hostname || "127.0.0.1",
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
}
