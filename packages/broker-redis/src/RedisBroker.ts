import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  Broker,
  type BrokerOptions,
  ConfigurationError,
  ConnectionClosed,
  ConnectionFailed,
  type ConsumeOptions,
  type Consumer,
  type JoinOptions,
  type Message,
  type QueueDepth,
  type QueueInspector,
  QueueJoinTimeout,
} from "@q/core";
import { uuid4, dqName, isReadOnlyError, qName, QUEUE_NAME_PATTERN, redactAuthCommand, type RedisSentinelOptions } from "@q/core/broker";
import Redis from "ioredis";
import type { Cluster, RedisOptions } from "ioredis";
import { ConnectionGate } from "./ConnectionGate";
import { OperationWatchdog } from "./OperationWatchdog";
import { RedisConsumer } from "./RedisConsumer";
import { RedisInspector } from "./RedisInspector";
import { ScriptRunner } from "./ScriptRunner";
import { WakeupListener } from "./WakeupListener";
import { DISPATCH_LUA } from "./dispatchLua";
import { DurableEnqueue, type DurableEnqueueOptions } from "./DurableEnqueue";
import { connectionSettings, readOnlyReconnect } from "./sentinelSettings";
import { explainConnectionError } from "./explainConnectionError";
import { type RedisClusterOptions, type RedisConnection, checkTarget, connect, duplicateConnection, isCluster, resolveNamespace } from "./clusterConnection";
import { explainClusterError, isClusterRefusal, isClusterTransient } from "./explainClusterError";

/** Options of {@link RedisBroker}. */
export interface RedisBrokerOptions extends BrokerOptions {
  /**
   * `redis://[[user]:password@]host[:port][/db]`, `rediss://` for TLS, or
   * `unix:///path/to/redis.sock[?db=N]`; anything else throws ConfigurationError.
   * Default `redis://127.0.0.1:6379`.
   */
  url?: string;
  /**
   * Use this ioredis client instead of connecting (the broker will not close it): a `Redis`,
   * or a `Cluster` (then the namespace needs a hash tag, as with `cluster`).
   */
  client?: Redis | Cluster;
  /**
   * A Redis Cluster instead of `url`: its startup nodes, and ioredis ClusterOptions. Every
   * key of a namespace must live on one slot, so the namespace needs a hash tag (default
   * `{dramatiq}`; one without throws ConfigurationError). See the README's "Redis Cluster".
   */
  cluster?: RedisClusterOptions;
  /**
   * Find the primary through Redis Sentinel instead of `url` (ConfigurationError with both).
   * Every connection of the broker (commands, wake-ups, `broker.client`) asks the sentinels
   * for the primary, and after a failover moves to the promoted replica by itself; calls wait
   * for it as for any reconnect (bounded by `operationTimeout` and `offlineQueueBytes`).
   *
   * @example
   * new RedisBroker({ sentinel: { sentinels: [{ host: "10.0.0.1", port: 26379 }], name: "mymaster", password } });
   */
  sentinel?: RedisSentinelOptions;
  /**
   * Confirm every enqueue (sends, batches, and the broker's own: retries, delayed messages
   * coming due) with `WAIT replicas timeout`: a send resolves only once that many replicas
   * have it, so a failover cannot lose it; otherwise it rejects with EnqueueNotReplicated
   * (written on the primary, not confirmed). Costs a replica round trip per burst of sends,
   * during which the broker's command connection waits. Off by default: Redis replication
   * is asynchronous, and a failover loses the enqueues of the last moment before it.
   */
  durableEnqueue?: DurableEnqueueOptions;
  /**
   * Extra ioredis options for the connections the broker makes. `connectionName` is the
   * prefix of their CLIENT SETNAME names (default `q-<pid>`): `<name>:commands` (every
   * broker call: sends, fetches, acks, heartbeats), `<name>:wakeups` (the Pub/Sub
   * subscriber) and `<name>:client` (`broker.client`).
   */
  redisOptions?: RedisOptions;
  /** Key prefix shared with Python peers; default `dramatiq` (`{dramatiq}` with `cluster`). */
  namespace?: string;
  /**
   * Milliseconds without a heartbeat after which a worker counts as dead and its
   * in-flight messages are redelivered; default 60000 (as Dramatiq). Lower recovers
   * sooner; too low steals work from a live worker whose event loop stalls that long.
   */
  heartbeatTimeout?: number;
  /** Milliseconds dead letters are kept; default 7 days. */
  deadMessageTtl?: number;
  /**
   * Chance in a million, default 1000 (as Dramatiq), that an enqueue or fetch also recovers
   * dead workers' messages and expires old dead letters, and that a consumer's maintenance
   * tick also forgets dead workers. Forgetting needs a KEYS scan, so it never rides on an
   * enqueue or fetch (Dramatiq's does, stalling Redis on a big keyspace).
   */
  maintenanceChance?: number;
  /** Milliseconds between a consumer's heartbeat-and-recovery runs; default 1000. */
  maintenanceInterval?: number;
  /** Publish and listen for wake-ups so idle workers start new messages at once; default true. */
  wakeups?: boolean;
  /**
   * Milliseconds a Redis call may take (including a reconnect, and resending it after one)
   * before it fails with ConnectionClosed; default 30000. Nothing is written after that.
   */
  operationTimeout?: number;
  /**
   * Most bytes of calls (mostly sends) that wait for Redis while it is unreachable; a call
   * past it fails at once with ConnectionClosed (`written: "no"`). Default 16 MiB.
   */
  offlineQueueBytes?: number;
  /**
   * Milliseconds calls wait for the very first connection before they fail with
   * ConnectionFailed (naming the last connection error); default 5000. After the broker
   * has once been connected, `operationTimeout` bounds the wait for a reconnect instead:
   * a server that was never there is a configuration problem, worth saying soon.
   */
  connectTimeout?: number;
}

/** Lua's `unpack` limit is ~8000 on stock Redis; batches are cut well below it. */
const CHUNK = 1000;

/**
 * A Dramatiq-compatible Redis broker: same keys, same dispatch semantics, so Python
 * Dramatiq workers and @q workers share queues both ways. Faster (batched enqueue,
 * fetch and acks, wake-ups instead of polling) and quicker to recover (heartbeats and
 * dead-worker recovery on a timer).
 *
 * @example
 * const broker = new RedisBroker({ url: "redis://127.0.0.1:6379/0" });
 * setBroker(broker);
 * const add = actor(function add(a: number, b: number) { return a + b });
 * await add.send(1, 2);
 */
export class RedisBroker extends Broker {
  /** This broker's id in Redis (heartbeats and ack sets). */
  readonly brokerId = randomUUID();
  readonly namespace: string;
  /** The keys every script call declares (see runScript), made once. */
  private readonly scriptKeys: readonly string[];
  readonly heartbeatTimeout: number;
  readonly deadMessageTtl: number;
  readonly maintenanceChance: number;
  readonly maintenanceInterval: number;
  /** The broker's own connection: calls wait for it in the gate, never in an ioredis queue. */
  private readonly connection: RedisConnection;
  private readonly givenClient: RedisConnection | undefined;
  private madeClient: RedisConnection | undefined;
  private readonly script: ScriptRunner;
  private readonly wakeups: boolean;
  private readonly operationTimeout: number;
  private readonly connectTimeout: number;
  private readonly watchdog: OperationWatchdog;
  private readonly durable: DurableEnqueue | undefined;
  private readonly gate: ConnectionGate;
  /** Whether the client has been ready at least once (then reconnects get operationTimeout). */
  private everConnected: boolean;
  /** The latest connection error; logged at warning level once per outage. */
  private lastConnectionError: Error | undefined;
  /** The prefix of the connections' names in `CLIENT LIST`. */
  private readonly connectionName: string;
  private listener: WakeupListener | undefined;
  private inspector: RedisInspector | undefined;
  private lastHeartbeat = Date.now();
  private heartbeatFailingSince: number | undefined;
  private warnedOverdue = false;
  private readonly consumers = new Set<RedisConsumer>();
  private closed = false;
  /** A READONLY streak was warned about (once, until a call succeeds). */
  private readOnlyWarned = false;

  constructor(options: RedisBrokerOptions = {}) {
    super(options);
    checkTarget(options);
    this.namespace = resolveNamespace(options.namespace, options.cluster !== undefined || isCluster(options.client));
    this.scriptKeys = [this.namespace, `${this.namespace}:__heartbeats__`];
    this.heartbeatTimeout = options.heartbeatTimeout ?? 60_000;
    this.deadMessageTtl = options.deadMessageTtl ?? 7 * 24 * 60 * 60 * 1000;
    this.maintenanceChance = options.maintenanceChance ?? 1000;
    this.maintenanceInterval = options.maintenanceInterval ?? 1000;
    this.wakeups = options.wakeups ?? true;
    this.operationTimeout = options.operationTimeout ?? 30_000;
    this.connectTimeout = Math.min(options.connectTimeout ?? 5000, this.operationTimeout);
    this.watchdog = new OperationWatchdog(this.connectTimeout);
    this.gate = new ConnectionGate(options.offlineQueueBytes ?? 16 * 1024 * 1024);
    const redisOptions: RedisOptions = {
      // Calls wait for a connection in the broker's bounded gate, not in ioredis's unbounded
      // offline queue; a call on the wire when the connection drops is resent by dispatch,
      // which stops at its deadline (ioredis would resend it whenever it reconnects).
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: null,
      retryStrategy: (times) => Math.min(50 * times, 1000),
      // Without this, a close while the server is gone keeps the process alive for 2 s.
      disconnectTimeout: 200,
      // A primary demoted by a failover answers READONLY: reconnect (through the sentinels, to
      // the new primary); call() resends, bounded by operationTimeout.
      reconnectOnError: readOnlyReconnect,
      ...options.redisOptions,
    };
    // Named so an operator reading CLIENT LIST can tell which process and which role each is.
    this.connectionName = options.redisOptions?.connectionName ?? `q-${process.pid}`;
    redisOptions.connectionName = `${this.connectionName}:commands`;
    this.givenClient = options.client;
    const settings = connectionSettings(options, redisOptions, () => this.closed);
    const durable = options.durableEnqueue === undefined ? undefined : DurableEnqueue.check(options.durableEnqueue);
    if (settings.sentinel && options.cluster) throw new ConfigurationError("RedisBroker: give sentinel or cluster, not both (a Redis Cluster fails over by itself).");
    if (durable && (options.cluster || isCluster(options.client))) {
      // WAIT names no key, so a Cluster client sends it to any node: it could not vouch for the enqueue.
      throw new ConfigurationError(
        "RedisBroker: durableEnqueue is not available on a Redis Cluster (WAIT has no key to route it to the namespace's primary); bound the loss with min-replicas-to-write on the server instead.",
      );
    }
    const connection = settings.sentinel ? new Redis(settings.sentinel) : connect(options, redisOptions);
    this.connection = connection;
    this.durable = durable && new DurableEnqueue(durable, connection as Redis, this.watchdog);
    this.everConnected = false;
    this.connection.on("error", (err) => {
      redactAuthCommand(err); // kept as a ConnectionFailed's cause: users print those
      // ioredis reports every failed reconnect attempt: say it once per outage, then at debug.
      if (this.lastConnectionError) this.logger.debug(`Redis connection error: ${err.message}`);
      else this.logger.warn(`Redis connection error: ${err.message}; reconnecting.`);
      this.lastConnectionError = err;
    });
    this.connection.on("ready", () => {
      if (this.lastConnectionError) this.logger.info("Reconnected to Redis.");
      this.lastConnectionError = undefined;
      this.everConnected = true;
      for (const consumer of this.consumers) consumer.reconcileSoon();
      this.gate.open();
    });
    // Calls on the wire when the connection drops get no reply: dispatch sends them again.
    this.connection.on("close", () => {
      this.durable?.connectionClosed();
      this.watchdog.failAll(LOST);
    });
    this.script = new ScriptRunner(this.connection, DISPATCH_LUA);
  }

  /**
   * A plain ioredis client on the broker's server, for reading or writing keys yourself: the
   * one given as `client`, or one made on first use (closed with the broker). It queues
   * commands while disconnected as ioredis does; the broker's own calls use a connection of
   * their own, which never queues more than `offlineQueueBytes`.
   */
  get client(): RedisConnection {
    if (this.givenClient) return this.givenClient;
    if (this.madeClient) return this.madeClient;
    this.madeClient = duplicateConnection(this.connection, {
      enableOfflineQueue: true,
      autoResendUnfulfilledCommands: true,
      connectionName: `${this.connectionName}:client`,
    });
    // Its callers see its failures; an unheard "error" event would only print a stack.
    this.madeClient.on("error", (err: Error) => this.logger.debug(`Redis connection error (broker.client): ${err.message}`));
    return this.madeClient;
  }

  /** @internal Whether the broker's connection is up now. */
  get connected(): boolean {
    return this.connection.status === "ready";
  }

  /**
   * Runs one dispatch command. `maintenance` "0" none, "1" recover dead workers'
   * messages of this queue, "2" also forget finished dead workers (a KEYS scan).
   * @internal
   */
  async dispatch(
    command: string,
    queueName: string,
    args: readonly (string | Buffer | number)[] = [],
    maintenance: "0" | "1" | "2" = this.maintenanceRoll(command),
    onWrite?: () => void,
  ): Promise<unknown> {
    // Every dispatch call is also this worker's heartbeat (the script's first ZADD).
    try {
      const reply = await this.call(command, queueName, args, maintenance, onWrite);
      if (this.heartbeatFailingSince !== undefined) this.heartbeatSucceeded();
      else this.lastHeartbeat = Date.now();
      return reply;
    } catch (error) {
      if (error instanceof ConnectionClosed && this.consumers.size > 0) this.heartbeatFailed(error, queueName);
      throw error;
    }
  }

  private call(command: string, queueName: string, args: readonly (string | Buffer | number)[], maintenance: "0" | "1" | "2", onWrite?: () => void): Promise<unknown> {
    const argv = [command, Date.now(), queueName, this.brokerId, this.heartbeatTimeout, this.deadMessageTtl, maintenance, CHUNK, ...args];
    return this.runScript(this.script, argv, command, queueName, args, onWrite);
  }

  /**
   * Runs a script of this broker's namespace (the dispatch script, or the inspector's) on the
   * broker's connection: waits for it in the bounded gate, sends again what a dropped
   * connection lost, follows a failover or slot move, and fails with a typed error at the
   * deadline. `args` are the caller's own arguments (their size is what a waiting call costs).
   * @internal
   */
  async runScript(
    script: ScriptRunner,
    argv: readonly (string | Buffer | number)[],
    command: string,
    queueName: string,
    args: readonly (string | Buffer | number)[] = argv,
    onWrite?: () => void,
  ): Promise<unknown> {
    const timeout = this.everConnected ? this.operationTimeout : this.connectTimeout;
    const deadline = Date.now() + timeout;
    // The heartbeats key, which always exists, is declared besides the namespace (which never
    // does): while a Cluster migrates the slot, a script with some declared keys missing is
    // refused with TRYAGAIN (sent again) instead of being run on a node with half the keys.
    const keys = this.scriptKeys;
    let sent = false; // handed to a ready connection at least once
    let refusedOnly = true; // every failed send so far was refused by a Cluster reply (not run)
    let lostInFlight = false; // an attempt was on the wire when its connection dropped
    for (;;) {
      if (this.connection.status !== "ready") {
        if (this.closed) throw new ConnectionClosed(`The broker is closed; ${command} on ${queueName} was ${sent ? "possibly" : "not"} sent.`, { written: sent ? "maybe" : "no" });
        const connecting = !this.everConnected;
        await this.gate.wait(
          WAITER_BYTES + byteSize(args),
          deadline,
          () =>
            connecting && !sent
              ? this.neverConnected()
              : new ConnectionClosed(`Redis was unreachable for ${timeout} ms; ${command} on ${queueName} was ${sent ? "possibly" : "not"} sent.`, {
                  cause: this.lastConnectionError,
                  written: sent ? "maybe" : "no",
                }),
          () =>
            new ConnectionClosed(
              `Redis is unreachable and ${this.gate.waitingBytes} bytes of calls already wait for it (offlineQueueBytes); ${command} on ${queueName} was ${sent ? "possibly" : "not"} sent.`,
              { cause: this.lastConnectionError, written: sent ? "maybe" : "no" },
            ),
        );
        continue;
      }
      try {
        if (sent && command === "enqueue") {
          // Written once if the first one ran, unless its messages were already processed.
          this.logger.debug(`Sending enqueue of ${args.length / 2} message(s) on ${queueName} again: the connection dropped before Redis answered.`);
        }
        onWrite?.();
        const call = script.run(keys, argv);
        sent = true;
        const reply = await this.watchdog.watch(
          call,
          () => new ConnectionClosed(`Redis did not answer ${command} on ${queueName} within ${timeout} ms; it was possibly run.`, { written: "maybe" }),
          deadline - Date.now(),
        );
        this.readOnlyWarned = false;
        return reply;
      } catch (error) {
        if (!isClusterRefusal(error)) refusedOnly = false;
        if (error instanceof ConnectionClosed) throw error;
        if (isAuthError(error)) throw new ConnectionFailed(`Redis refused the credentials: ${(error as Error).message}`, { cause: error });
        if (isReadOnlyError(error)) {
          // Nothing of this attempt was written; the connection is being made again (to the
          // promoted replica when the sentinels know it) and the call resent, until the deadline.
          const readOnly = error as Error;
          if (!this.readOnlyWarned) this.logger.warn(`Redis answered READONLY (it is a replica now); reconnecting and sending ${command} again.`);
          else this.logger.debug(`Redis answered READONLY again (${command} on ${queueName}).`);
          this.readOnlyWarned = true;
          this.lastConnectionError = readOnly;
          if (Date.now() >= deadline) {
            throw new ConnectionClosed(
              `Redis still answered READONLY after ${timeout} ms (the server is a replica: a primary demoted by a failover, or a URL that points at a replica); ${command} on ${queueName} was ${lostInFlight ? "possibly" : "not"} written.`,
              { cause: readOnly, written: lostInFlight ? "maybe" : "no" },
            );
          }
          await sleep(Math.min(100, Math.max(0, deadline - Date.now())));
          continue;
        }
        if (error === LOST || isConnectionError(error)) {
          if (!isNotWritable(error)) lostInFlight = true;
          if (isNotWritable(error) && this.connection.status === "ready") await sleep(10); // not a tight loop on a race
          // A Cluster stays "ready" while one node is gone: wait for its slot map to change.
          else if (isCluster(this.connection) && this.connection.status === "ready") await sleep(CLUSTER_RETRY_DELAY);
          continue; // waits for the connection at the top, until the deadline
        }
        if (isCluster(this.connection) && isClusterTransient(error)) {
          // A failover or slot move in progress: sent again once the client has a new slot map.
          if (Date.now() + CLUSTER_RETRY_DELAY < deadline) {
            this.connection.refreshSlotsCache();
            await sleep(CLUSTER_RETRY_DELAY);
            continue;
          }
          const why = this.explainCluster(error, `${command} on ${queueName}`);
          // A reply that refused the call means it did not run; anything else in between might have.
          const written = sent && !(refusedOnly && isClusterRefusal(error)) ? "maybe" : "no";
          throw new ConnectionClosed(`${why?.message ?? (error as Error).message} This lasted ${timeout} ms; ${command} on ${queueName} was ${written === "maybe" ? "possibly" : "not"} run.`, {
            cause: why ?? error,
            written,
          });
        }
        throw this.explainCluster(error, `${command} on ${queueName}`) ?? error;
      }
    }
  }

  override consume(queueName: string, options: ConsumeOptions = {}): Consumer {
    if (this.closed) throw new ConnectionClosed(`The broker is closed; cannot consume ${queueName}.`);
    if (!this.queues.has(qName(queueName))) this.declareQueue(qName(queueName));
    const consumer = new RedisConsumer(this, queueName, options.prefetch ?? 1, options.timeout ?? 5000, () => this.consumers.delete(consumer));
    this.consumers.add(consumer);
    return consumer;
  }

  /**
   * Returns to the queue the ids in this worker's ack set for `consumer`'s queue that no
   * consumer of this broker holds (a fetch whose reply was lost). Other consumers of the
   * queue count: a failed consumer still holds its running messages until they settle.
   * @internal
   */
  async reconcile(consumer: RedisConsumer): Promise<number> {
    const peers = () => [...this.consumers].filter((c) => c.queueName === consumer.queueName);
    // A peer's fetch in flight has taken ids it does not list yet. Once none is, the ids are
    // read and the script sent in one go: a later fetch runs after it on the connection.
    for (;;) {
      const landing = peers().flatMap((c) => (c === consumer ? [] : c.fetchLanded() ?? []));
      if (landing.length === 0) break;
      await Promise.all(landing);
    }
    const known = peers().flatMap((c) => c.heldIds());
    return Number(await this.dispatch("reconcile", consumer.queueName, known, "0"));
  }

  private heartbeatSucceeded(): void {
    if (this.heartbeatFailingSince !== undefined) this.logger.info("Heartbeats to Redis are back.");
    this.heartbeatFailingSince = undefined;
    this.lastHeartbeat = Date.now();
  }

  /**
   * Without heartbeats other workers take this one's messages after heartbeatTimeout:
   * warned once per failing streak, and again once that is passed.
   */
  private heartbeatFailed(error: Error, queueName: string): void {
    const silent = Date.now() - this.lastHeartbeat;
    if (this.heartbeatFailingSince === undefined) {
      this.heartbeatFailingSince = Date.now();
      this.warnedOverdue = false;
      this.logger.warn(
        `Heartbeat failed (${error.message}); after ${this.heartbeatTimeout} ms without one, other workers may run this worker's in-flight messages again.`,
      );
    } else if (!this.warnedOverdue && silent >= this.heartbeatTimeout) {
      this.warnedOverdue = true;
      this.logger.warn(
        `No heartbeat for ${silent} ms (heartbeatTimeout ${this.heartbeatTimeout} ms): other workers may now run this worker's in-flight messages again.`,
      );
    } else {
      this.logger.debug({ err: error }, `Heartbeat failed again (${queueName}).`);
    }
  }

  /** @internal The queue's consumers check the ack set before their next fetch. */
  reconcileSoon(queueName: string): void {
    for (const consumer of this.consumers) if (consumer.queueName === queueName) consumer.reconcileSoon();
  }

  /** @internal The broker's wake-up subscription, made on first use. */
  wakeupListener(): WakeupListener | undefined {
    if (!this.wakeups) return undefined;
    // Subscriptions are few and must survive a reconnect: this connection keeps ioredis's queues.
    this.listener ??= new WakeupListener(
      duplicateConnection(this.connection, { enableOfflineQueue: true, autoResendUnfulfilledCommands: true, connectionName: `${this.connectionName}:wakeups` }),
      this.logger,
    );
    return this.listener;
  }

  /**
   * The broker's {@link QueueInspector}: counts, messages and repairs of every queue of the
   * namespace, Python Dramatiq's included, read and changed with atomic scripts.
   *
   * @example
   * const inspector = broker.inspect();
   * const dead = await inspector.listMessages("default", "dead", { limit: 20 });
   * await inspector.requeue("default", dead.messages[0]!.messageId);
   */
  override inspect(): QueueInspector {
    return (this.inspector ??= new RedisInspector(this));
  }

  /** @internal A script runner on the broker's connection (for {@link runScript}). */
  scriptRunner(lua: string): ScriptRunner {
    return new ScriptRunner(this.connection, lua);
  }

  /**
   * @internal The canonical names of the queues that have keys in the namespace (SCAN, on
   * every primary of a Cluster): `ns:<q>.msgs`, `ns:<q>.DQ.msgs` and `ns:<q>.XQ`.
   */
  async scanQueueNames(): Promise<string[]> {
    const prefix = `${this.namespace}:`;
    const match = `${prefix.replace(/[\\*?[\]]/g, (c) => `\\${c}`)}*`;
    const nodes = isCluster(this.connection) ? this.connection.nodes("master") : [this.connection];
    const names = new Set<string>();
    for (const node of nodes) {
      let cursor = "0";
      do {
        const [next, keys] = await node.scan(cursor, "MATCH", match, "COUNT", 1000).catch((error: unknown) => {
          throw this.explainCluster(error, "listing the queues") ?? error;
        });
        cursor = next;
        for (const key of keys) {
          const rest = key.slice(prefix.length);
          const base = rest.endsWith(".msgs") ? rest.slice(0, -".msgs".length) : rest.endsWith(".XQ") ? rest : undefined;
          if (base === undefined || base.startsWith("__")) continue;
          const name = qName(base);
          if (QUEUE_NAME_PATTERN.test(name)) names.add(name);
        }
      } while (cursor !== "0");
    }
    return [...names];
  }

  /** @internal The Pub/Sub channel of a queue's wake-ups. */
  wakeupChannel(queueName: string): string {
    return `${this.namespace}:__wakeup__.${queueName}`;
  }

  /** Drops the queue's messages, delayed messages and dead letters. */
  override async flush(queueName: string): Promise<void> {
    await this.dispatch("purge", qName(queueName), [], "0");
    await this.dispatch("purge", dqName(queueName), [], "0");
  }

  override async flushAll(): Promise<void> {
    for (const queue of this.queues) await this.flush(queue);
  }

  /**
   * Waits until the queue and its delay queue hold no messages, pending or in
   * flight (polls `qsize`; for tests and scripts).
   */
  override async join(queueName: string, options: JoinOptions = {}): Promise<void> {
    const deadline = options.timeout === undefined ? Infinity : Date.now() + options.timeout;
    for (;;) {
      const size = Number(await this.dispatch("qsize", qName(queueName), [], "0"));
      if (size === 0) return;
      if (Date.now() >= deadline) throw new QueueJoinTimeout(`Timed out after ${options.timeout} ms waiting for queue ${queueName} to drain.`);
      await sleep(Math.min(50, Math.max(0, deadline - Date.now())));
    }
  }

  /**
   * The queue's counts in one round trip of four O(1) commands: `pending` its list,
   * `delayed` every message of its delay queue (waiting or held by a worker until due),
   * `deadLetters` its dead-letter set, `inFlight` messages some worker has fetched and not
   * yet acked (the queue's stored messages minus the waiting ones). Fails at once while
   * Redis is unreachable rather than queue the read.
   */
  override async queueDepth(queueName: string): Promise<QueueDepth> {
    if (!this.connected) throw new ConnectionFailed(`Not connected to Redis; cannot read the depth of ${queueName}.`);
    const key = `${this.namespace}:${qName(queueName)}`;
    const what = `the depth of ${queueName}`;
    const replies = await this.connection
      .pipeline()
      .llen(key)
      .hlen(`${key}.msgs`)
      .hlen(`${key}.DQ.msgs`)
      .zcard(`${key}.XQ`)
      .exec()
      .catch((error: unknown) => {
        throw this.explainCluster(error, what) ?? error;
      });
    const [pending, stored, delayed, deadLetters] = (replies ?? []).map(([err, value]) => {
      if (err) throw this.explainCluster(err, what) ?? err;
      return Number(value);
    }) as [number, number, number, number];
    return { pending, delayed, deadLetters, inFlight: Math.max(0, stored - pending) };
  }

  /**
   * Dead letters of a queue (and its delay queue), newest last: the bytes as they
   * were received, with the time they were dead-lettered.
   */
  async getDeadLetters(queueName: string, options: { limit?: number } = {}): Promise<{ id: string; data: Buffer; deadAt: number }[]> {
    const xq = `${this.namespace}:${qName(queueName)}.XQ`;
    const explained = (error: unknown) => {
      throw this.explainCluster(error, `reading the dead letters of ${queueName}`) ?? error;
    };
    const entries = await this.client.zrange(xq, 0, String((options.limit ?? 1000) - 1), "WITHSCORES").catch(explained);
    if (entries.length === 0) return [];
    const ids = entries.filter((_, i) => i % 2 === 0);
    const data = await this.client.hmgetBuffer(`${xq}.msgs`, ...ids).catch(explained);
    return ids.flatMap((id, i) => (data[i] ? [{ id, data: data[i]!, deadAt: Number(entries[2 * i + 1]) }] : []));
  }

  /** Closes connections (bounded: resolves even while Redis is unreachable); idempotent. */
  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Calls waiting for Redis to come back fail now (ConnectionClosed, written: "no"), not at
    // their operationTimeout: a closed broker's timers must not keep the process alive.
    this.gate.open();
    await Promise.all([...this.consumers].map((c) => c.close()));
    this.listener?.close();
    this.listener = undefined;
    await Promise.all([this.connection, this.madeClient].map((c) => (c ? quitWithin(c, 1000) : undefined)));
  }

  /** A fresh redis_message_id per enqueue (retries and delay moves get new ones). */
  protected override enqueueOptions(): Record<string, unknown> {
    return { redis_message_id: uuid4() };
  }

  protected override async publish(message: Message): Promise<void> {
    // One message to one queue (every `send()`): no grouping or chunking, fewer allocations
    // on the path an idle worker's latency is measured on.
    if (this.durable) return this.publishMany([message]);
    const payload = message.encodeText();
    this.checkMessageSize(message, payload);
    await this.dispatch("enqueue", message.queueName, [message.options.redis_message_id as string, payload]);
  }

  protected override async publishMany(messages: readonly Message[]): Promise<void> {
    // One queue is the common case: skip grouping then.
    const first = messages[0]?.queueName;
    const byQueue = messages.every((m) => m.queueName === first) ? new Map([[first!, messages]]) : groupByQueue(messages);
    // Every chunk is encoded (and each message's size checked) before the first is written,
    // so a batch with a message over maxMessageSize writes nothing. All chunks then go in
    // flight together (one connection keeps them in order), their round trips overlapping;
    // the connection would hold their strings until written either way.
    const chunks: [string, (string | Buffer)[]][] = [];
    for (const [queue, group] of byQueue) {
      for (let i = 0; i < group.length; i += CHUNK) {
        const end = Math.min(i + CHUNK, group.length);
        const args = new Array<string | Buffer>(2 * (end - i));
        for (let j = i, k = 0; j < end; j++, k += 2) {
          const payload = group[j]!.encodeText();
          this.checkMessageSize(group[j]!, payload);
          args[k] = group[j]!.options.redis_message_id as string;
          args[k + 1] = payload;
        }
        chunks.push([queue, args]);
      }
    }
    const durable = this.durable;
    if (!durable) {
      await Promise.all(chunks.map(([queue, args]) => this.dispatch("enqueue", queue, args)));
      return;
    }
    // The connection each chunk was last written on: a WAIT only vouches for its own connection's writes.
    const generations = await Promise.all(
      chunks.map(async ([queue, args]) => {
        let generation = -1;
        await this.dispatch("enqueue", queue, args, undefined, () => (generation = durable.connectionGeneration));
        return generation;
      }),
    );
    await Promise.all(generations.map((g) => durable.confirm(g, (replicas, cause) => durable.notReplicated(messages, replicas, cause))));
  }

  /** Whether the broker's connection is a Redis Cluster client. */
  private get clustered(): boolean {
    return isCluster(this.connection);
  }

  /** A Redis Cluster reply (MOVED, CROSSSLOT, CLUSTERDOWN...) as what to change; undefined for other errors. */
  private explainCluster(error: unknown, what: string) {
    const options = isCluster(this.connection) ? undefined : this.connection.options;
    const server = options ? (options.path ?? `${options.host}:${options.port}`) : undefined;
    return explainClusterError(error, { namespace: this.namespace, cluster: this.clustered, server, what });
  }

  private neverConnected(): ConnectionFailed {
    const clusterWhy = this.lastConnectionError && this.explainCluster(this.lastConnectionError, "connecting");
    if (clusterWhy) return clusterWhy;
    if (this.clustered && !this.lastConnectionError) {
      // ioredis answers a node's `cluster_state:fail` by reconnecting, without an error.
      return new ConnectionFailed(
        `The Redis Cluster did not become ready within ${this.connectTimeout} ms: its nodes answer but do not report cluster_state:ok (a slot has no primary). Check it with redis-cli --cluster check <node> and assign the missing slots (redis-cli --cluster fix).`,
      );
    }
    const why = this.lastConnectionError ? `: ${explainConnectionError(this.lastConnectionError)}` : "";
    return new ConnectionFailed(`Could not connect to Redis within ${this.connectTimeout} ms${why}.`, { cause: this.lastConnectionError });
  }

  private maintenanceRoll(command: string): "0" | "1" {
    if (command === "ack" || command === "nack") return "0";
    return Math.random() * 1_000_000 < this.maintenanceChance ? "1" : "0";
  }
}

/** Milliseconds between sends of a call while the Cluster fails over or moves its slot. */
const CLUSTER_RETRY_DELAY = 100;

/** What a waiting send costs besides its arguments (its message, promises, closures): measured ~4-6 KiB. */
const WAITER_BYTES = 4096;

/** Rejects calls whose connection closed under them (they are sent again). */
const LOST = new Error("The Redis connection closed with the call in flight.");

async function quitWithin(client: RedisConnection, ms: number): Promise<void> {
  if (client.status === "ready") await Promise.race([client.quit().catch(() => undefined), sleep(ms)]);
  client.disconnect();
}

function byteSize(args: readonly (string | Buffer | number)[]): number {
  let n = 0;
  for (const a of args) n += typeof a === "number" ? 8 : a.length;
  return n;
}

function isNotWritable(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("Stream isn't writeable");
}

function groupByQueue(messages: readonly Message[]): Map<string, Message[]> {
  const groups = new Map<string, Message[]>();
  for (const m of messages) {
    const group = groups.get(m.queueName);
    if (group) group.push(m);
    else groups.set(m.queueName, [m]);
  }
  return groups;
}

function isAuthError(error: unknown): boolean {
  return error instanceof Error && /^(WRONGPASS|NOAUTH|NOPERM)/.test(error.message);
}

function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: string }).code;
  return (
    code === "ECONNREFUSED" ||
    code === "ECONNRESET" ||
    code === "EPIPE" ||
    error.name === "MaxRetriesPerRequestError" ||
    /Connection is closed|Stream isn't writeable/.test(error.message)
  );
}
