/** What the backends leave on the servers: Dramatiq's keys, value bytes, flags and TTLs. */
import { createHash, randomUUID } from "node:crypto";
import { connect } from "node:net";
import { ArgumentError, ConfigurationError, ConnectionClosed, ConnectionError } from "@q/core";
import Redis from "ioredis";
import { MEMCACHED_SERVERS, requireMemcached } from "@q/test-support/memcached";
import { REDIS_URL, requireRedis } from "@q/test-support/redis";
import { MemcachedResultBackend } from "../src/memcached";
import { RedisResultBackend } from "../src/redis";

const md5 = (text: string) => createHash("md5").update(text).digest("hex");
const messageOf = (messageId = randomUUID()) => ({ queueName: "default", actorName: "add", messageId });

/** `get <key>` over memcached's text protocol: the flags and bytes exactly as stored. */
function rawGet(key: string): Promise<{ flags: number; data: Buffer } | undefined> {
  const [host, port = "11211"] = MEMCACHED_SERVERS.split(",")[0]!.split(":");
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), host, () => socket.write(`get ${key}\r\n`));
    let buffer = Buffer.alloc(0);
    socket.on("error", reject);
    socket.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.toString("latin1") === "END\r\n") return void (socket.end(), resolve(undefined));
      const lineEnd = buffer.indexOf("\r\n");
      if (lineEnd < 0) return;
      const [, , flags, bytes] = buffer.subarray(0, lineEnd).toString("latin1").split(" ");
      const start = lineEnd + 2;
      if (buffer.length < start + Number(bytes) + 7) return; // data, \r\n, END\r\n
      socket.end();
      resolve({ flags: Number(flags), data: buffer.subarray(start, start + Number(bytes)) });
    });
  });
}

describe("RedisResultBackend on the wire", () => {
  let admin: Redis;
  let backend: RedisResultBackend;
  beforeAll(async () => {
    await requireRedis();
    admin = new Redis(REDIS_URL);
  });
  afterAll(() => admin.quit());
  beforeEach(() => (backend = new RedisResultBackend({ url: REDIS_URL })));
  afterEach(() => backend.close());

  test("a result is a one-element list at the MD5 of dramatiq-results:default:add:<id>, the JSON bytes (ASCII, as Python's json.dumps), with PTTL ≈ ttl", async () => {
    const message = messageOf();
    await backend.storeResult(message, { sum: 3, note: "ü" }, 60_000);
    const key = md5(`dramatiq-results:default:add:${message.messageId}`);
    expect(await admin.type(key)).toBe("list");
    expect(await admin.llen(key)).toBe(1);
    expect((await admin.lindexBuffer(key, 0))!.equals(Buffer.from('{"sum":3,"note":"\\u00fc"}'))).toBe(true);
    const pttl = await admin.pttl(key);
    expect(pttl).toBeGreaterThan(59_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
    // A blocking read rotates the list onto itself: still one element, same TTL.
    expect(await backend.getResult(message, { block: true, timeout: 1_000 })).toEqual({ sum: 3, note: "ü" });
    expect(await admin.llen(key)).toBe(1);
    expect(await admin.pttl(key)).toBeGreaterThan(58_000);
    await admin.del(key);
  });

  test("a failure is Dramatiq's envelope; storing again leaves exactly one element", async () => {
    const message = messageOf();
    const key = md5(`dramatiq-results:default:add:${message.messageId}`);
    await backend.storeResult(message, 1, 60_000);
    await backend.storeException(message, new TypeError("bad"), 60_000);
    expect(await admin.lrange(key, 0, -1)).toEqual(['{"__t":"dramatiq.results.Result","exn":{"type":"TypeError","msg":"bad"}}']);
    await admin.del(key);
  });

  test("a value Python Dramatiq wrote (LPUSH at its key) reads back, in prefix-key mode too", async () => {
    const prefixed = new RedisResultBackend({ url: REDIS_URL, useNamespacePrefixKeys: true });
    try {
      const message = messageOf();
      await admin.lpush(md5(`dramatiq-results:default:add:${message.messageId}`), "[1,2]");
      await admin.lpush(`dramatiq-results:default:add:${message.messageId}`, '"prefixed"');
      expect(await backend.getResult(message)).toEqual([1, 2]);
      expect(await prefixed.getResult(message)).toBe("prefixed");
      await admin.del(md5(`dramatiq-results:default:add:${message.messageId}`), `dramatiq-results:default:add:${message.messageId}`);
    } finally {
      await prefixed.close();
    }
  });

  test("blocking reads use their own connections: stores go on while 3 reads block", async () => {
    const messages = [messageOf(), messageOf(), messageOf()];
    const reads = messages.map((m) => backend.getResult(m, { block: true, timeout: 5_000 }));
    const started = performance.now();
    for (const [i, m] of messages.entries()) await backend.storeResult(m, i, 60_000);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(await Promise.all(reads)).toEqual([0, 1, 2]);
  });

  test("with maxBlockingConnections 2, at most 2 connections block; the 3rd read waits for one and still gets its value", async () => {
    // Duplicates inherit the connection name: it picks out this backend's connections on the shared server.
    const name = `q-rb-${randomUUID().slice(0, 8)}`;
    const bounded = new RedisResultBackend({ url: REDIS_URL, maxBlockingConnections: 2, redisOptions: { connectionName: name } });
    try {
      const messages = [messageOf(), messageOf(), messageOf()];
      const reads = messages.map((m) => bounded.getResult(m, { block: true, timeout: 5_000 }));
      await new Promise((r) => setTimeout(r, 200));
      const mine = String(await admin.client("LIST")).split("\n").filter((line) => line.includes(` name=${name} `));
      expect(mine.filter((line) => / cmd=blmove /.test(line)).length).toBe(2);
      expect(mine.length).toBe(3); // the main client and two blocking connections, no more
      for (const [i, m] of messages.entries()) await bounded.storeResult(m, i, 60_000);
      expect(await Promise.all(reads)).toEqual([0, 1, 2]);
    } finally {
      await bounded.close();
    }
  });

  test("close() ends a blocked read with ConnectionClosed, and later calls too", async () => {
    const own = new RedisResultBackend({ url: REDIS_URL });
    const read = own.getResult(messageOf(), { block: true, timeout: 10_000 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    await own.close();
    expect(await read).toBeInstanceOf(ConnectionClosed);
    await expect(own.getResult(messageOf())).rejects.toBeInstanceOf(ConnectionClosed);
  });

  test("a down server is a ConnectionError within seconds, stores and reads alike", async () => {
    const down = new RedisResultBackend({ url: "redis://127.0.0.1:1" });
    try {
      const started = performance.now();
      await expect(down.storeResult(messageOf(), 1, 1_000)).rejects.toBeInstanceOf(ConnectionError);
      await expect(down.getResult(messageOf())).rejects.toBeInstanceOf(ConnectionError);
      await expect(down.getResult(messageOf(), { block: true, timeout: 30_000 })).rejects.toBeInstanceOf(ConnectionError);
      expect(performance.now() - started).toBeLessThan(10_000);
    } finally {
      await down.close();
    }
  });

  test.each(["http://127.0.0.1:6379", "not a url", "redis://127.0.0.1/abc"])("the URL %p is a ConfigurationError", (url) => {
    expect(() => new RedisResultBackend({ url })).toThrow(ConfigurationError);
  });

  test.each([0, 1.5, -1, NaN])("maxBlockingConnections %p is an ArgumentError", (maxBlockingConnections) => {
    expect(() => new RedisResultBackend({ url: REDIS_URL, maxBlockingConnections })).toThrow(ArgumentError);
  });

  test("a client with a url, or an empty namespace, is an ArgumentError", () => {
    expect(() => new RedisResultBackend({ client: admin, url: REDIS_URL })).toThrow(ArgumentError);
    expect(() => new RedisResultBackend({ client: admin, namespace: "" })).toThrow(ArgumentError);
  });
});

describe("MemcachedResultBackend on the wire", () => {
  let backend: MemcachedResultBackend;
  beforeAll(() => requireMemcached());
  beforeEach(() => (backend = new MemcachedResultBackend({ servers: MEMCACHED_SERVERS })));
  afterEach(() => backend.close());

  test("a result is stored at Dramatiq's key with flags 0 and exactly the JSON bytes", async () => {
    const message = messageOf();
    await backend.storeResult(message, ["ü", 2, null], 60_000);
    expect(await rawGet(md5(`dramatiq-results:default:add:${message.messageId}`))).toEqual({ flags: 0, data: Buffer.from('["\\u00fc",2,null]') });
  });

  test("a sub-second TTL becomes 1 s, not Dramatiq's never-expiring 0", async () => {
    const message = messageOf();
    await backend.storeResult(message, 1, 300);
    expect(await backend.getResult(message)).toBe(1);
    await new Promise((r) => setTimeout(r, 2_300));
    expect(await rawGet(md5(`dramatiq-results:default:add:${message.messageId}`))).toBeUndefined();
  });

  test("an invalid servers string is a ConfigurationError; a key with a space (prefix mode) an ArgumentError", async () => {
    expect(() => new MemcachedResultBackend({ servers: "a, b" })).toThrow(ConfigurationError);
    const prefixed = new MemcachedResultBackend({ servers: MEMCACHED_SERVERS, useNamespacePrefixKeys: true, namespace: "has space" });
    try {
      await expect(prefixed.storeResult(messageOf(), 1, 1_000)).rejects.toBeInstanceOf(ArgumentError);
    } finally {
      await prefixed.close();
    }
  });

  test("after close() calls fail with ConnectionClosed", async () => {
    await backend.close();
    await expect(backend.getResult(messageOf())).rejects.toBeInstanceOf(ConnectionClosed);
  });
});
