/**
 * A dedicated RabbitMQ node for tests that stop, restart or close connections, or need
 * server settings (a short `consumer_timeout`): never done to the shared test server.
 * Its own node name, AMQP port (5690–5699; Erlang distribution on port + 20000) and
 * data directory (a temporary directory owned by `rabbitmq`), started with Debian's
 * rabbitmq-server as for the shared node (see tooling/scripts/services.sh).
 * Tests that need it started and removed around a file wrap it in their own hook.
 * It can also listen for TLS (`tls`: copies of the PEM files, owned by `rabbitmq`, which
 * the server must read) and have users and vhosts of its own ({@link RabbitServer.addUser}).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { execFile, spawn } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface RabbitServerOptions {
  /** `consumer_timeout` in ms (checked every second here instead of every minute). */
  consumerTimeout?: number;
  /** More `rabbitmq.conf` lines (limits, ...). */
  conf?: readonly string[];
  /**
   * Also listen for TLS on `tlsPort` with these PEM files (paths; copied into the node's
   * directory and given to `rabbitmq`). Clients need no certificate of their own.
   */
  tls?: { cert: string; key: string; ca: string };
  /** The AMQP port (5690–5699, its distribution port + 20000 free too); default: a free one. */
  port?: number;
  /** The Erlang node name (`name@localhost`); default: a unique `qtest…@localhost`. */
  node?: string;
}

export class RabbitServer {
  private constructor(
    readonly port: number,
    readonly node: string,
    readonly dir: string,
    /** The amqps:// port (0 without `tls`). */
    readonly tlsPort: number = 0,
  ) {}

  /** Starts a fresh node on a free port; resolves once it accepts connections. */
  static async start(options: RabbitServerOptions = {}): Promise<RabbitServer> {
    const port = options.port ?? (await freePort());
    const node = options.node ?? `qtest${port}x${Math.random().toString(36).slice(2, 6)}@localhost`;
    const dir = mkdtempSync(path.join(os.tmpdir(), "q-rabbitmq-"));
    try {
      return await RabbitServer.startIn(dir, port, node, options);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true }); // no node (nor its files) left behind
      throw error;
    }
  }

  private static async startIn(dir: string, port: number, node: string, options: RabbitServerOptions): Promise<RabbitServer> {
    const lines = ["loopback_users = none"];
    if (options.consumerTimeout !== undefined) lines.push(`consumer_timeout = ${options.consumerTimeout}`);
    const owned = [dir, path.join(dir, "rabbitmq.conf"), path.join(dir, "advanced.config")];
    let tlsPort = 0;
    if (options.tls) {
      tlsPort = await freePort([port]);
      // The node runs as `rabbitmq`: it reads its own copies, the key readable by it alone.
      for (const name of ["cert", "key", "ca"] as const) {
        const to = path.join(dir, `${name}.pem`);
        copyFileSync(options.tls[name], to);
        chmodSync(to, name === "key" ? 0o600 : 0o644);
        owned.push(to);
      }
      lines.push(
        `listeners.ssl.local = 127.0.0.1:${tlsPort}`,
        `ssl_options.cacertfile = ${path.join(dir, "ca.pem")}`,
        `ssl_options.certfile = ${path.join(dir, "cert.pem")}`,
        `ssl_options.keyfile = ${path.join(dir, "key.pem")}`,
        "ssl_options.verify = verify_none",
        "ssl_options.fail_if_no_peer_cert = false",
      );
    }
    lines.push(...(options.conf ?? []));
    writeFileSync(path.join(dir, "rabbitmq.conf"), `${lines.join("\n")}\n`);
    // The channel tick decides how often consumer_timeout is checked (60 s by default).
    writeFileSync(path.join(dir, "advanced.config"), "[{rabbit, [{channel_tick_interval, 1000}]}].\n");
    const { uid, gid } = rabbitmqUser();
    for (const p of owned) chownSync(p, uid, gid);
    const server = new RabbitServer(port, node, dir, tlsPort);
    try {
      await server.start();
    } catch (error) {
      await server.destroy().catch(() => undefined); // never leave a half-started node behind
      throw error;
    }
    return server;
  }

  /**
   * `amqp://guest:guest@127.0.0.1:<port>[/vhost]`; `user`/`password` for another user, `tls` for
   * `amqps://…@localhost:<tlsPort>` (the name the test certificates are made for).
   */
  url(vhost?: string, options: { user?: string; password?: string; tls?: boolean } = {}): string {
    const auth = `${encodeURIComponent(options.user ?? "guest")}:${encodeURIComponent(options.password ?? "guest")}`;
    if (options.tls && !this.tlsPort) throw new Error("This RabbitServer was started without tls.");
    const where = options.tls ? `amqps://${auth}@localhost:${this.tlsPort}` : `amqp://${auth}@127.0.0.1:${this.port}`;
    return `${where}${vhost === undefined ? "" : `/${encodeURIComponent(vhost)}`}`;
  }

  /** Adds a user with every permission on `vhost`, which is created (`add_user`, `add_vhost`, `set_permissions`). */
  async addUser(user: string, password: string, vhost: string): Promise<void> {
    await this.ctl(["add_user", user, password]);
    await this.ctl(["add_vhost", vhost]);
    await this.ctl(["set_permissions", "-p", vhost, user, ".*", ".*", ".*"]);
  }

  /** Starts the node (again, same data): durable queues and persistent messages survive a restart. */
  async start(): Promise<void> {
    // Already running: spawning another VM under the same node name is not harmless. It loses
    // the race for the name now, but one still booting when a test then stops this node takes
    // the name and port over, and the "stopped" server is back in the middle of the test.
    if (!(await portFree(this.port))) return;
    const env = {
      ...process.env,
      RABBITMQ_NODENAME: this.node,
      RABBITMQ_NODE_PORT: String(this.port),
      RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
      RABBITMQ_MNESIA_BASE: path.join(this.dir, "mnesia"),
      RABBITMQ_LOG_BASE: path.join(this.dir, "log"),
      RABBITMQ_PID_FILE: path.join(this.dir, "pid"),
      RABBITMQ_CONFIG_FILE: path.join(this.dir, "rabbitmq.conf"),
      RABBITMQ_ADVANCED_CONFIG_FILE: path.join(this.dir, "advanced.config"),
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: "-kernel inet_dist_use_interface {127,0,0,1}",
      ERL_EPMD_ADDRESS: "127.0.0.1",
    };
    await new Promise<void>((resolve, reject) => {
      const child = spawn("/usr/sbin/rabbitmq-server", ["-detached"], { env, stdio: "ignore" });
      child.once("error", (error) => reject(new Error(`Could not run rabbitmq-server: ${error.message}`, { cause: error })));
      child.once("exit", () => resolve());
    });
    // await_startup fails at once until the detached node has registered with epmd.
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await this.ctl(["await_startup", "--timeout", "60"], 70_000);
        return;
      } catch (error) {
        if (Date.now() >= deadline) {
          throw new Error(`RabbitMQ node ${this.node} did not start (logs in ${this.dir}/log)`, { cause: error });
        }
        await sleep(300);
      }
    }
  }

  /** Stops the node (`rabbitmqctl stop`): connections drop, the port stops answering. */
  async stop(): Promise<void> {
    await this.ctl(["stop"], 60_000).catch(() => undefined);
    await waitUntilClosed(this.port, 15_000);
  }

  /** Kills the node's Erlang VM with SIGKILL (a crash: only what RabbitMQ had synced survives). */
  async kill(): Promise<void> {
    const pid = Number(readFileSync(path.join(this.dir, "pid"), "utf8").trim());
    if (!(pid > 0)) throw new Error(`No pid file for node ${this.node}.`);
    process.kill(pid, "SIGKILL");
    await waitUntilClosed(this.port, 15_000);
  }

  /** Stops (cleanly, or by SIGKILL with `crash`) and starts the node again. */
  async restart(options: { crash?: boolean } = {}): Promise<void> {
    await (options.crash ? this.kill() : this.stop());
    await this.start();
  }

  /** Runs `rabbitmqctl -n <node> ...args`; resolves with its output. */
  async ctl(args: readonly string[], timeout = 30_000): Promise<string> {
    const { stdout } = await run("rabbitmqctl", ["-n", this.node, ...args], { timeout });
    return stdout;
  }

  /** Closes every client connection from the server side (`rabbitmqctl close_connection`); returns how many. */
  async closeConnections(reason = "closed by the test"): Promise<number> {
    const pids = (await this.ctl(["list_connections", "pid", "--quiet", "--no-table-headers"]))
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.startsWith("<"));
    for (const pid of pids) await this.ctl(["close_connection", pid, reason]);
    return pids.length;
  }

  /** Stops the node and removes its data. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function rabbitmqUser(): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("rabbitmq:"));
  if (!line) throw new Error("No rabbitmq user: install rabbitmq-server (bash tooling/scripts/services.sh rabbitmq).");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

/** A port in 5690..5699 (not in `taken`) whose Erlang distribution port (+20000) is free too. */
export async function freePort(taken: readonly number[] = []): Promise<number> {
  const ports = Array.from({ length: 10 }, (_, i) => 5690 + i).sort(() => Math.random() - 0.5);
  for (const port of ports) if (!taken.includes(port) && (await portFree(port)) && (await portFree(port + 20000))) return port;
  throw new Error("No free port in 5690..5699 for a dedicated RabbitMQ node.");
}

async function waitUntilClosed(port: number, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (!open) return;
    await sleep(100);
  }
}
