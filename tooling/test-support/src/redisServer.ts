/**
 * A dedicated redis-server for tests that stop, restart, kill clients or set a password
 * (never done to the shared test server). It runs as a child process (not daemonized)
 * on a free port, with an append-only file fsynced on every write in its own temporary
 * directory, so a restart keeps every acknowledged write.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import Redis from "ioredis";

export class RedisServer {
  private process: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly extraArgs: readonly string[],
    readonly password: string | undefined,
  ) {}

  /** Starts a server on a free port; `password` sets `--requirepass`. */
  static async start(options: { password?: string; args?: readonly string[] } = {}): Promise<RedisServer> {
    const dir = mkdtempSync(path.join(os.tmpdir(), "q-redis-"));
    const args = [...(options.args ?? []), ...(options.password ? ["--requirepass", options.password] : [])];
    const server = new RedisServer(await freePort(), dir, args, options.password);
    await server.start();
    return server;
  }

  /** `redis://[:password@]127.0.0.1:port[/db]`. */
  url(options: { db?: number; password?: string | null } = {}): string {
    const password = options.password === null ? undefined : (options.password ?? this.password);
    return `redis://${password ? `:${password}@` : ""}127.0.0.1:${this.port}${options.db === undefined ? "" : `/${options.db}`}`;
  }

  get running(): boolean {
    return this.process !== undefined;
  }

  /** A client on this server (db 0 unless given). */
  client(db?: number): Redis {
    return new Redis(this.url({ db }), { disconnectTimeout: 50 });
  }

  /** Starts (again) with the same port and data directory; resolves once it accepts connections. */
  async start(): Promise<void> {
    if (this.process) return;
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "always"];
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
