import { ConnectionClosed, ConnectionFailed, type Logger } from "@q/core";
import { settleWithin } from "@q/core/broker";
import * as amqp from "amqplib";
import { redactUrl } from "./parseUrls";

/** What a {@link ConnectionManager} needs. */
export interface ConnectionManagerOptions {
  urls: readonly string[];
  /** amqplib socket options (TLS material, keepAlive, ...). */
  socketOptions: Record<string, unknown>;
  /** Milliseconds one connection attempt may take. */
  connectTimeout: number;
  /** Longest pause between two rounds over the URLs. */
  maxReconnectDelay: number;
  /** Shown as the connection's name in RabbitMQ (`connection_name`). */
  name: string;
  logger: Logger;
}

interface Waiter {
  resolve(connection: amqp.ChannelModel): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Internal: one AMQP connection kept alive. Connects on first use, tries the URLs in
 * order (failover), reconnects by itself after a loss starting with the next URL,
 * backing off between rounds, and lets callers wait for a connection for a bounded
 * time. Channels are the users' business: they watch their own `close` events.
 */
export class ConnectionManager {
  private current: amqp.ChannelModel | undefined;
  private connecting = false;
  private waiters = new Set<Waiter>();
  private next = 0;
  private lastError: unknown;
  private closed = false;
  private pause: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private lastWarning = 0;
  /** When the first connection attempt started (undefined before any). */
  private firstAttemptAt: number | undefined;
  private connectedOnce = false;
  /** Bumped on every new connection. */
  generation = 0;

  constructor(private readonly options: ConnectionManagerOptions) {}

  /** The live connection, if there is one right now. */
  get live(): amqp.ChannelModel | undefined {
    return this.current;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * The live connection, connecting first if needed. Rejects with ConnectionFailed
   * when none could be made within `timeoutMs`, ConnectionClosed once closed.
   */
  connection(timeoutMs: number): Promise<amqp.ChannelModel> {
    if (this.current) return Promise.resolve(this.current);
    if (this.closed) return Promise.reject(new ConnectionClosed("The RabbitMQ broker is closed."));
    this.startConnecting();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(
            new ConnectionFailed(`RabbitMQ was unreachable for ${timeoutMs} ms (${this.describeFailure()}).`, { cause: this.lastError }),
          );
        }, Math.max(0, timeoutMs)),
      };
      this.waiters.add(waiter);
    });
  }

  /** Stops reconnecting, fails the waiters, closes the connection (bounded: a dead server cannot hold it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.pause) {
      clearTimeout(this.pause.timer);
      this.pause.resolve();
    }
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new ConnectionClosed("The RabbitMQ broker was closed while waiting for a connection."));
    }
    this.waiters.clear();
    const connection = this.current;
    this.current = undefined;
    if (connection) await closeWithin(connection, 1000);
  }

  /**
   * Milliseconds left until `connectTimeout` has passed since the first connection
   * attempt without any connection (the whole `connectTimeout` before the first
   * attempt); Infinity once a connection was made: after a loss, callers keep waiting.
   */
  untilNeverConnected(): number {
    if (this.connectedOnce) return Infinity;
    if (this.firstAttemptAt === undefined) return this.options.connectTimeout;
    return this.firstAttemptAt + this.options.connectTimeout - Date.now();
  }

  /** The error for a broker that never reached any node within `connectTimeout`. */
  neverConnectedError(): ConnectionFailed {
    return new ConnectionFailed(`Could not connect to RabbitMQ within ${this.options.connectTimeout} ms (${this.describeFailure()}).`, {
      cause: this.lastError,
    });
  }

  private startConnecting(): void {
    if (this.connecting || this.closed) return;
    this.firstAttemptAt ??= Date.now();
    this.connecting = true;
    void this.connectLoop().finally(() => {
      this.connecting = false;
    });
  }

  private async connectLoop(): Promise<void> {
    const { urls } = this.options;
    for (let round = 0; !this.closed; round++) {
      for (let i = 0; i < urls.length && !this.closed; i++) {
        const index = this.next;
        this.next = (index + 1) % urls.length;
        let connection: amqp.ChannelModel;
        try {
          connection = await amqp.connect(urls[index]!, {
            ...this.options.socketOptions,
            timeout: this.options.connectTimeout,
            clientProperties: { connection_name: this.options.name },
          });
        } catch (error) {
          const why = explainConnectFailure(error, urls[index]!);
          this.lastError = why;
          this.warnThrottled(`Could not connect to RabbitMQ at ${redactUrl(urls[index]!)}: ${why.message}`);
          continue;
        }
        if (this.closed) {
          await closeWithin(connection, 1000);
          return;
        }
        this.attach(connection, index);
        return;
      }
      if (this.closed) return;
      const delay = Math.min(100 * 2 ** round, this.options.maxReconnectDelay);
      await new Promise<void>((resolve) => {
        this.pause = { timer: setTimeout(resolve, delay), resolve };
      });
      this.pause = undefined;
    }
  }

  private attach(connection: amqp.ChannelModel, index: number): void {
    this.connectedOnce = true;
    const { logger, urls } = this.options;
    this.current = connection;
    this.generation++;
    this.lastError = undefined;
    // The next reconnect starts with the next node: that is failover when this one goes away.
    this.next = (index + 1) % urls.length;
    logger.info(`Connected to RabbitMQ at ${redactUrl(urls[index]!)} (${this.options.name}).`);
    connection.on("error", (err: Error) => {
      this.lastError = err;
      logger.warn({ err }, `RabbitMQ connection error: ${err.message}`);
    });
    connection.on("blocked", (reason: string) => logger.warn(`RabbitMQ blocked the connection (${reason}); publishes wait.`));
    connection.on("unblocked", () => logger.info("RabbitMQ unblocked the connection."));
    connection.on("close", (err?: Error) => {
      if (this.current !== connection) return;
      this.current = undefined;
      if (this.closed) return;
      if (err) this.lastError = err;
      logger.warn(`Lost the connection to RabbitMQ at ${redactUrl(urls[index]!)}${err ? `: ${err.message}` : ""}; reconnecting.`);
      this.startConnecting();
    });
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve(connection);
    }
    this.waiters.clear();
  }

  private describeFailure(): string {
    const urls = this.options.urls.map(redactUrl).join(", ");
    // Duck-typed: errors from Node's own modules may come from another realm (e.g. under jest).
    const message = (this.lastError as { message?: unknown } | undefined)?.message;
    const last = typeof message === "string" ? `; last error: ${message}` : "";
    return `tried ${urls}${last}`;
  }

  /** One warning per 5 s while a node stays unreachable (debug otherwise). */
  private warnThrottled(message: string): void {
    const now = Date.now();
    if (now - this.lastWarning >= 5000) {
      this.lastWarning = now;
      this.options.logger.warn(message);
    } else {
      this.options.logger.debug(message);
    }
  }
}

/** Closes a connection, giving up (and dropping the socket) after `ms`. */
async function closeWithin(connection: amqp.ChannelModel, ms: number): Promise<void> {
  if (!(await settleWithin(connection.close(), ms))) (connection.connection as unknown as { stream?: { destroy(): void } }).stream?.destroy();
}

/**
 * amqplib's error for a failed connection attempt, with a clear message where
 * amqplib's is not: when RabbitMQ accepts the login but refuses the vhost (it does not
 * exist, or the user has no permission on it) amqplib only reports
 * `Expected ConnectionOpenOk; got <ConnectionClose channel:0>`, the server's reason lost.
 */
function explainConnectFailure(error: unknown, url: string): Error {
  const message = (error as { message?: unknown } | undefined)?.message;
  if (typeof message !== "string") return new Error(String(error));
  if (isCertificateError(error, message)) {
    return new Error(`${message} (TLS: trust the server's CA with NODE_EXTRA_CA_CERTS=ca.pem or socketOptions.ca)`, { cause: error });
  }
  if (!message.startsWith("Expected ConnectionOpenOk; got <ConnectionClose")) return error as Error;
  const { vhost, user } = vhostAndUser(url);
  return new Error(`RabbitMQ refused access to vhost ${JSON.stringify(vhost)}: it does not exist, or user ${JSON.stringify(user)} has no permissions on it`, {
    cause: error,
  });
}

/** Node's errors for a server certificate it does not trust or that names another host. */
function isCertificateError(error: unknown, message: string): boolean {
  const code = (error as { code?: unknown }).code;
  return (typeof code === "string" && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|HOSTNAME/.test(code)) || /certificate/i.test(message);
}

/** The vhost (`/` when the URL has no path) and user a connection URL names. */
function vhostAndUser(url: string): { vhost: string; user: string } {
  const parsed = new URL(url);
  const path = parsed.pathname.replace(/^\//, "");
  return { vhost: path === "" ? "/" : decodeURIComponent(path), user: decodeURIComponent(parsed.username) || "guest" };
}
