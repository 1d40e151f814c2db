/**
 * A Redis Sentinel set for tests: a primary, a replica and three sentinels, each a child
 * process on a free port with its files in a temporary directory, with sentinel timings
 * short enough for a test (a dead primary is noticed after `downAfterMs`, 1 s by default).
 *
 * On loopback asynchronous replication lags by microseconds, so what a failover can lose
 * would never show. With `replicationDelayMs` the replica replicates through a small TCP
 * proxy that holds the primary's replication stream back that long, as a replica on a busy
 * or distant host lags; when the primary dies, the bytes the proxy still holds are dropped
 * (they had not reached the replica), so the writes of the last `replicationDelayMs` are
 * really lost unless something (WAIT) made sure the replica had them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Redis from "ioredis";
import { RedisServer } from "./redisServer";

/** A sentinel's (or a server's) address. */
export interface RedisAddress {
  host: string;
  port: number;
}

/** Options of {@link RedisSentinelSet.start}. */
export interface RedisSentinelSetOptions {
  /** The master group's name; default `qmaster`. */
  name?: string;
  /** Milliseconds the primary's replication stream is held back on its way to the replica; default 0 (none). */
  replicationDelayMs?: number;
  /** `sentinel down-after-milliseconds`; default 1000. */
  downAfterMs?: number;
  /** `sentinel failover-timeout`; default 5000. */
  failoverTimeoutMs?: number;
  /**
   * Replicas; default 1. With 2, the promoted replica still has one after a failover (the
   * sentinels point the other at it), which durable enqueue (WAIT 1) needs to go on at once.
   */
  replicas?: number;
}

/**
 * Starts and breaks a Sentinel-managed primary/replica pair.
 *
 * @example
 * const set = await RedisSentinelSet.start({ replicationDelayMs: 100 });
 * const broker = new RedisBroker({ sentinel: { sentinels: set.sentinels, name: set.name } });
 * const killed = await set.killPrimary();
 * const { promotedAfterMs } = await set.waitForFailover(killed);
 * await set.destroy();
 */
export class RedisSentinelSet {
  private readonly sentinelProcesses: ChildProcess[] = [];
  private proxy: DelayProxy | undefined;

  private constructor(
    readonly name: string,
    readonly dir: string,
    /** The server that was the primary at start. */
    readonly first: RedisServer,
    /** The server that was the (first) replica at start. */
    readonly second: RedisServer,
    readonly sentinels: readonly RedisAddress[],
    /** Every server: the first primary, then the replicas. */
    readonly servers: readonly RedisServer[],
  ) {}

  static async start(options: RedisSentinelSetOptions = {}): Promise<RedisSentinelSet> {
    const name = options.name ?? "qmaster";
    const dir = mkdtempSync(path.join(os.tmpdir(), "q-sentinel-"));
    // Without the delay, a (re)sync waits 5 s for more replicas to join it.
    const fast = ["--repl-diskless-sync-delay", "0"];
    const primary = await RedisServer.start({ args: fast });
    const replicas: RedisServer[] = [];
    let set: RedisSentinelSet | undefined;
    try {
      let proxy: DelayProxy | undefined;
      let upstream = primary.port;
      if (options.replicationDelayMs) {
        proxy = await DelayProxy.start(primary.port, options.replicationDelayMs);
        upstream = proxy.port;
      }
      // The replica must tell the primary (and so the sentinels) its own port, not the proxy's.
      for (let i = 0; i < (options.replicas ?? 1); i++) {
        replicas.push(await RedisServer.start({ args: [...fast, "--replicaof", "127.0.0.1", String(upstream), "--replica-announce-ip", "127.0.0.1"] }));
      }
      const ports = await freePorts(3);
      set = new RedisSentinelSet(name, dir, primary, replicas[0]!, ports.map((port) => ({ host: "127.0.0.1", port })), [primary, ...replicas]);
      set.proxy = proxy;
      for (const replica of replicas) await waitUntil("the replicas to finish their first sync", async () => /master_link_status:up/.test(await info(replica, "replication")), 10_000);
      for (const port of ports) set.sentinelProcesses.push(await startSentinel(dir, port, name, primary.port, options));
      // A failover needs a majority of sentinels that know each other, and the replica known.
      await waitUntil(
        "the sentinels to discover each other and the replica",
        async () => {
          for (const address of set!.sentinels) {
            const ok = await withSentinel(address, async (s) => {
              const peers = (await s.call("SENTINEL", "SENTINELS", name)) as unknown[];
              const known = (await s.call("SENTINEL", "REPLICAS", name)) as unknown[];
              return peers.length === 2 && (known as unknown[]).length === replicas.length;
            });
            if (!ok) return false;
          }
          return true;
        },
        20_000,
      );
      return set;
    } catch (error) {
      if (set) await set.destroy();
      else {
        for (const replica of replicas) await replica.destroy();
        await primary.destroy();
        rmSync(dir, { recursive: true, force: true });
      }
      throw error;
    }
  }

  /** What the sentinels report as the primary now (asks the first sentinel that answers). */
  async primaryAddress(): Promise<RedisAddress> {
    for (const address of this.sentinels) {
      const reply = await withSentinel(address, (s) => s.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", this.name) as Promise<[string, string] | null>).catch(() => null);
      if (reply) return { host: reply[0], port: Number(reply[1]) };
    }
    throw new Error(`No sentinel of ${this.name} answered.`);
  }

  /** The server that is the primary now (per the sentinels). */
  async primary(): Promise<RedisServer> {
    return this.server((await this.primaryAddress()).port);
  }

  /** A plain client on the primary of now. */
  async primaryClient(): Promise<Redis> {
    return (await this.primary()).client();
  }

  /**
   * SIGKILLs the primary (and drops what the delay proxy still held for the replica).
   * Returns its port and when it died.
   */
  async killPrimary(): Promise<{ port: number; at: number }> {
    const server = await this.primary();
    const at = Date.now();
    await server.stop("SIGKILL");
    if (server === this.first) this.proxy?.cut();
    return { port: server.port, at };
  }

  /**
   * Waits until every sentinel names a primary other than the killed one; returns it and how
   * long after the kill the last sentinel switched.
   */
  async waitForFailover(killed: { port: number; at: number }, timeout = 30_000): Promise<{ primary: RedisAddress; promotedAfterMs: number }> {
    let primary: RedisAddress | undefined;
    await waitUntil(
      `the sentinels of ${this.name} to promote the replica`,
      async () => {
        for (const address of this.sentinels) {
          const reply = await withSentinel(address, (s) => s.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", this.name) as Promise<[string, string] | null>);
          if (!reply || Number(reply[1]) === killed.port) return false;
          primary = { host: reply[0], port: Number(reply[1]) };
        }
        // Promoted means the server itself says so, not only the sentinels.
        return /role:master/.test(await info(this.server(primary!.port), "replication"));
      },
      timeout,
    );
    return { primary: primary!, promotedAfterMs: Date.now() - killed.at };
  }

  /**
   * Starts the killed server again (same port and data); the sentinels turn it into a replica
   * of the new primary. Resolves once it is in sync with it.
   */
  async restartKilled(killed: { port: number }, timeout = 30_000): Promise<void> {
    const server = this.server(killed.port);
    await server.start();
    await waitUntil(`the restarted server on ${killed.port} to replicate the new primary`, async () => /role:slave[\s\S]*master_link_status:up/.test(await info(server, "replication")), timeout);
  }

  /** The server on `port`. */
  server(port: number): RedisServer {
    const server = this.servers.find((s) => s.port === port);
    if (!server) throw new Error(`No server of this set listens on ${port}.`);
    return server;
  }

  /**
   * Waits until the new primary has `n` replicas in sync (after a failover the sentinels
   * point the remaining replicas at it).
   */
  async waitForReplicas(n: number, timeout = 30_000): Promise<void> {
    await waitUntil(`the primary to have ${n} replica(s) in sync`, async () => {
      const text = await info(await this.primary(), "replication");
      return (text.match(/^slave\d+:.*state=online/gm) ?? []).length >= n;
    }, timeout);
  }

  /** Stops every process and removes every file. */
  async destroy(): Promise<void> {
    await Promise.all(
      this.sentinelProcesses.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGKILL");
        await exited;
      }),
    );
    this.sentinelProcesses.length = 0;
    this.proxy?.close();
    await Promise.all(this.servers.map((s) => s.destroy()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Forwards the replica's connection to the primary, holding the primary's bytes back `delayMs`. */
class DelayProxy {
  private readonly pairs = new Set<{ down: net.Socket; up: net.Socket; timers: Set<NodeJS.Timeout> }>();

  private constructor(private readonly server: net.Server) {}

  static async start(targetPort: number, delayMs: number): Promise<DelayProxy> {
    const server = net.createServer();
    const proxy = new DelayProxy(server);
    server.on("connection", (down) => {
      const up = net.connect(targetPort, "127.0.0.1");
      const pair = { down, up, timers: new Set<NodeJS.Timeout>() };
      proxy.pairs.add(pair);
      down.setNoDelay(true);
      up.setNoDelay(true);
      down.on("data", (chunk) => up.write(chunk)); // acks and PSYNC go straight up
      // Same-duration timers fire in the order they were set: the stream keeps its order.
      up.on("data", (chunk) => {
        const timer = setTimeout(() => {
          pair.timers.delete(timer);
          down.write(chunk);
        }, delayMs);
        pair.timers.add(timer);
      });
      const end = () => proxy.drop(pair);
      for (const socket of [up, down]) {
        socket.on("error", end);
        socket.on("close", end);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The primary died: what it had sent and the replica had not received yet is gone. */
  cut(): void {
    for (const pair of this.pairs) this.drop(pair);
  }

  close(): void {
    this.cut();
    this.server.close();
  }

  private drop(pair: { down: net.Socket; up: net.Socket; timers: Set<NodeJS.Timeout> }): void {
    for (const timer of pair.timers) clearTimeout(timer);
    pair.timers.clear();
    pair.up.destroy();
    pair.down.destroy();
    this.pairs.delete(pair);
  }
}

async function startSentinel(dir: string, port: number, name: string, primaryPort: number, options: RedisSentinelSetOptions): Promise<ChildProcess> {
  const conf = path.join(dir, `sentinel-${port}.conf`);
  writeFileSync(
    conf,
    [
      `port ${port}`,
      "bind 127.0.0.1",
      "daemonize no",
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
      `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
      `sentinel failover-timeout ${name} ${options.failoverTimeoutMs ?? 5000}`,
      `sentinel parallel-syncs ${name} 1`,
      "",
    ].join("\n"),
  );
  const child = spawn("redis-server", [conf, "--sentinel"], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`redis-sentinel on port ${port} did not start within 10 s:\n${output}`)), 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!/\+monitor master/.test(output)) return;
      cleanUp();
      resolve();
    };
    const onExit = (code: number | null) => fail(new Error(`redis-sentinel on port ${port} exited with ${code}:\n${output}`));
    const onError = (error: Error) => fail(new Error(`Could not run redis-server --sentinel: ${error.message}`, { cause: error }));
    const cleanUp = () => {
      clearTimeout(timer);
      child.off("exit", onExit);
      child.off("error", onError);
      child.stdout!.off("data", onData);
      child.stdout!.resume();
    };
    const fail = (error: Error) => {
      cleanUp();
      child.kill("SIGKILL");
      reject(error);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", onExit);
    child.once("error", onError);
  });
  return child;
}

async function withSentinel<T>(address: RedisAddress, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ host: address.host, port: address.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableReadyCheck: false });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
}

async function info(server: RedisServer, section: string): Promise<string> {
  const client = server.client();
  client.on("error", () => undefined);
  try {
    return await client.info(section);
  } finally {
    client.disconnect();
  }
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error; // a server or sentinel not answering yet
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeout} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}.`);
    await sleep(50);
  }
}

/** `n` distinct free ports (bound once each by the OS, then released). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<net.Server>((resolve, reject) => {
      const s = net.createServer();
      s.once("error", reject);
      s.listen(0, "127.0.0.1", () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
