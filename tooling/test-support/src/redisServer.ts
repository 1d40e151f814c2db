/**
 * A dedicated redis-server for tests that stop, restart, kill clients or set a password
 * (never done to the shared test server). It runs as a child process (not daemonized)
 * on a free port, with an append-only file fsynced on every write in its own temporary
 * directory, so a restart keeps every acknowledged write. It can also require a password,
 * define ACL users, and listen for TLS on a second port (`tls`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import Redis from "ioredis";

/** PEM files (paths) of a TLS listener: the server's certificate and key, and the CA that signed it. */
export interface RedisTlsFiles {
  cert: string;
  key: string;
  ca: string;
}

/** An ACL user (`ACL SETUSER`-style rules; default: every key, channel and command). */
export interface RedisAclUser {
  name: string;
  password: string;
  /** ACL rules after `on >password`; default `~* &* +@all`. */
  rules?: string;
}

/** Options of {@link RedisServer.start}. */
export interface RedisServerOptions {
  /** `--requirepass` (the `default` user's password). */
  password?: string;
  /** ACL users defined at start-up (`--user name on >password rules`). */
  users?: readonly RedisAclUser[];
  /**
   * Also listen for TLS on `tlsPort` with these files (clients need no certificate of
   * their own); the plain port stays open unless `plain` is false.
   */
  tls?: RedisTlsFiles & { plain?: boolean };
  args?: readonly string[];
}

export class RedisServer {
  private process: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly extraArgs: readonly string[],
    readonly password: string | undefined,
    /** The TLS port (0 without `tls`). */
    readonly tlsPort: number,
    private readonly tls: (RedisTlsFiles & { plain?: boolean }) | undefined,
  ) {}

  /** Starts a server on a free port; `password` sets `--requirepass`, `users` ACL users, `tls` a TLS port. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const dir = mkdtempSync(path.join(os.tmpdir(), "q-redis-"));
    const args = [...(options.args ?? []), ...(options.password ? ["--requirepass", options.password] : [])];
    for (const user of options.users ?? []) args.push("--user", user.name, "on", `>${user.password}`, ...(user.rules ?? "~* &* +@all").split(" "));
    const port = await freePort();
    let tlsPort = 0;
    if (options.tls) {
      do tlsPort = await freePort();
      while (tlsPort === port);
      const { cert, key, ca } = options.tls;
      args.push("--tls-port", String(tlsPort), "--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", ca, "--tls-auth-clients", "no");
    }
    const server = new RedisServer(port, dir, args, options.password, tlsPort, options.tls);
    try {
      await server.start();
    } catch (error) {
      rmSync(dir, { recursive: true, force: true }); // a server that never started leaves nothing behind
      throw error;
    }
    return server;
  }

  /**
   * `redis://[[user]:password@]127.0.0.1:port[/db]`; with `tls`, `rediss://[...]localhost:tlsPort`
   * (the name the test certificates are made for).
   */
  url(options: { db?: number; password?: string | null; user?: string; tls?: boolean } = {}): string {
    const password = options.password === null ? undefined : (options.password ?? this.password);
    const auth = password ? `${options.user ? encodeURIComponent(options.user) : ""}:${encodeURIComponent(password)}@` : "";
    if (options.tls && !this.tlsPort) throw new Error("This RedisServer was started without tls.");
    const where = options.tls ? `rediss://${auth}localhost:${this.tlsPort}` : `redis://${auth}127.0.0.1:${this.port}`;
    return `${where}${options.db === undefined ? "" : `/${options.db}`}`;
  }

  get running(): boolean {
    return this.process !== undefined;
  }

  /** A client on this server (db 0 unless given). */
  client(db?: number): Redis {
    if (this.tls?.plain === false) {
      return new Redis(this.url({ db, tls: true }), { disconnectTimeout: 50, tls: { ca: readFileSync(this.tls.ca) } });
    }
    return new Redis(this.url({ db }), { disconnectTimeout: 50 });
  }

  /** Starts (again) with the same port and data directory; resolves once it accepts connections. */
  async start(): Promise<void> {
    if (this.process) return;
    const args = ["--port", this.tls?.plain === false ? "0" : String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "always"];
    args.push("--dir", this.dir, "--daemonize", "no", "--loglevel", "notice", ...this.extraArgs);
    const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
    this.process = child;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => fail(new Error(`Could not run redis-server (is it on PATH?): ${error.message}`, { cause: error }));
      const onExit = (code: number | null) => fail(new Error(`redis-server on port ${this.port} exited with ${code}:\n${output}`));
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (!/Ready to accept connections/.test(output)) return;
        cleanUp();
        resolve();
      };
      const timer = setTimeout(() => fail(new Error(`redis-server on port ${this.port} did not start within 10 s:\n${output}`)), 10_000);
      const cleanUp = () => {
        clearTimeout(timer);
        child.off("error", onError);
        child.off("exit", onExit);
        child.stdout!.off("data", onData);
        child.stdout!.resume();
      };
      const fail = (error: Error) => {
        cleanUp();
        if (this.process === child) this.process = undefined;
        child.kill("SIGKILL");
        reject(error);
      };
      child.once("error", onError);
      child.once("exit", onExit);
      child.stdout!.on("data", onData);
      child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    });
    child.once("exit", () => {
      if (this.process === child) this.process = undefined;
    });
  }

  /** Stops the server: SIGKILL (a crash; the fsynced AOF keeps acknowledged writes) or SIGTERM (a clean shutdown). */
  async stop(signal: "SIGKILL" | "SIGTERM" = "SIGKILL"): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.process = undefined;
    child.kill(signal);
    await this.exited;
  }

  /** Stops the server and removes its data directory. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A free TCP port in 6391..8390 (checked by binding it). */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 6391 + Math.floor(Math.random() * 2000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once("error", () => resolve(false));
      probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error("No free port found for a dedicated redis-server in 6391..8390.");
}
