import { setTimeout as sleep } from "node:timers/promises";
import {
  ArgumentError,
  Broker,
  type BrokerOptions,
  ConfigurationError,
  ConnectionClosed,
  type ConsumeOptions,
  type Consumer,
  type JoinOptions,
  type Message,
  type QueueDepth,
  type QueueInspector,
  QueueJoinTimeout,
  TimeLimit,
} from "@q/core";
import { dqName, qName, xqName } from "@q/core/broker";
import { ConnectionManager } from "./ConnectionManager";
import { Publisher, type QueueSet } from "./Publisher";
import { RabbitmqConsumer } from "./RabbitmqConsumer";
import { RabbitmqInspector } from "./RabbitmqInspector";
import { BUCKET_SECONDS, bucketFor, bucketQueueName } from "./delayBuckets";
import { parseUrls, withHeartbeat } from "./parseUrls";
import { type QueueKind, bucketArguments, deadLetterArguments, queueArguments } from "./queueArguments";

/** Options of {@link RabbitmqBroker}. */
export interface RabbitmqBrokerOptions extends BrokerOptions {
  /**
   * `amqp://user:pass@host:port/vhost` or `amqps://…` (TLS). Several URLs, as an array
   * or one string separated by `;`, are tried in order: failover to the next node.
   * Default `amqp://guest:guest@127.0.0.1:5672`.
   */
  url?: string | readonly string[];
  /** Heartbeat interval in seconds (0 turns heartbeats off); default: the server's (60 s on RabbitMQ). */
  heartbeat?: number;
  /**
   * Declare queues with `x-max-priority` (1..255) so the `broker_priority` option orders
   * delivery. RabbitMQ orders only what is still on the server, not what a worker has
   * prefetched: for strict priority order, give workers `prefetch` equal to `concurrency`.
   */
  maxPriority?: number;
  /**
   * `"quorum"` declares every queue of the broker (`q`, `q.DQ`, `q.XQ` and the delay buckets)
   * with `x-queue-type: quorum`: replicated on the cluster's nodes (Raft), so they survive the
   * loss of a minority of them; dead-lettering at-least-once. Default `"classic"` (Dramatiq's).
   * Quorum queues have no priorities on RabbitMQ 3.10 (`maxPriority` is refused), and a
   * queue's type cannot change: every producer and worker of a queue must use the same
   * queueType (Python Dramatiq declares classic ones), else declarations fail with QueueMismatch.
   */
  queueType?: "classic" | "quorum";
  /**
   * Quorum queues only: how many times RabbitMQ delivers a message of `q` / `q.DQ` that comes
   * back unacked (its worker process died, its channel closed) before it dead-letters it to
   * `q.XQ` instead (`x-delivery-limit`). A message that crashes every process running it then
   * stops going round. Default: no limit (RabbitMQ 3.10's).
   */
  deliveryLimit?: number;
  /** Publisher confirms: a send resolves only once RabbitMQ has the message. Default false (as Dramatiq). */
  confirmDelivery?: boolean;
  /** Milliseconds dead letters are kept (`.XQ` TTL); default `dramatiq_dead_message_ttl` from the environment, else 7 days. */
  deadMessageTtl?: number;
  /**
   * Longest a worker holds a delayed delivery before its eta, in ms (≥ 1000); a later
   * eta waits in a delay bucket on the server instead. Keep it well below the
   * server's `consumer_timeout` (30 min by default). Default 300000 (5 minutes).
   */
  maxDelayHold?: number;
  /** Milliseconds a publish waits for a (re)connection before failing with a ConnectionError; default 30000. */
  publishTimeout?: number;
  /**
   * Most bytes of publishes that wait while RabbitMQ is unreachable (each counts as its body
   * plus 4 KiB); a publish past it fails at once with ConnectionClosed (`written: "no"`).
   * Default 16 MiB.
   */
  offlineQueueBytes?: number;
  /**
   * Milliseconds one connection attempt may take; default 10000. Also how long consumers wait
   * for the very first connection, counted from the first attempt: a broker that reached
   * no node in that time (none answers, the login or the vhost is refused) fails its
   * consumers' `connect()` and `next()` with ConnectionFailed (so `q` exits 3) instead
   * of waiting forever. After a connection was lost, consumers wait for the reconnect.
   */
  connectTimeout?: number;
  /**
   * The server's `consumer_timeout` in ms, when it is not RabbitMQ's default (30 minutes);
   * Infinity when it is turned off. Used only to warn when a worker starts consuming:
   * an actor whose time limit is longer (or that has none) can hold a delivery past it,
   * and then RabbitMQ closes the worker's channel and delivers every unacked message on
   * it again. It does not change the server's setting. Default 1800000.
   */
  consumerTimeout?: number;
  /** Socket options for amqplib (e.g. `ca`, `cert`, `key` for amqps://). */
  socketOptions?: Record<string, unknown>;
  /** The connections' name in RabbitMQ's management UI; default `q-<pid>`. */
  connectionName?: string;
}

const SEVEN_DAYS = 7 * 24 * 60 * 60 * 1000;
/** RabbitMQ's default `consumer_timeout` (since 3.8.15). */
const DEFAULT_CONSUMER_TIMEOUT = 30 * 60 * 1000;
const BUCKET_NAME = /^(.*)\.DQ\.wait\.(\d+)$/;

/**
 * A Dramatiq-compatible RabbitMQ broker: the same three durable queues per queue
 * (`q`, `q.DQ`, `q.XQ`) with Dramatiq's arguments, persistent messages on the default
 * exchange, manual acks with prefetch, so Python Dramatiq and @q share queues both
 * ways. It reconnects by itself (to the next URL when several are given), never
 * holds a delayed delivery longer than `maxDelayHold` (far-off etas wait in delay
 * buckets on the server), and dead-letters poison messages with the reason logged.
 *
 * @example
 * const broker = new RabbitmqBroker({ url: "amqp://guest:guest@127.0.0.1:5672/%2F", confirmDelivery: true });
 * setBroker(broker);
 * const add = actor(function add(a: number, b: number) { return a + b });
 * await add.send(1, 2);
 */
export class RabbitmqBroker extends Broker {
  readonly urls: readonly string[];
  readonly maxPriority: number | undefined;
  readonly queueType: "classic" | "quorum";
  readonly deliveryLimit: number | undefined;
  readonly confirmDelivery: boolean;
  readonly deadMessageTtl: number;
  readonly maxDelayHold: number;
  readonly publishTimeout: number;
  /** The server's `consumer_timeout` as given (only for the long-actor warning). */
  readonly consumerTimeout: number;
  /** @internal The consumers' connection. */
  readonly connections: ConnectionManager;
  private readonly producerConnection: ConnectionManager;
  private readonly publisher: Publisher;
  private readonly consumers = new Set<RabbitmqConsumer>();
  private readonly buckets = new Map<string, Set<number>>();
  private readonly queueSets = new Map<string, QueueSet>();
  /** Actors already checked against consumerTimeout (each is warned about once). */
  private readonly checkedActors = new Set<string>();
  private inspector: RabbitmqInspector | undefined;
  private closed = false;

  constructor(options: RabbitmqBrokerOptions = {}) {
    super(options);
    const heartbeat = options.heartbeat;
    if (heartbeat !== undefined && !(Number.isInteger(heartbeat) && heartbeat >= 0)) {
      throw new ConfigurationError(`heartbeat must be a whole number of seconds (0 turns it off), got ${shown(heartbeat)}.`);
    }
    this.urls = parseUrls(options.url).map((url) => withHeartbeat(url, heartbeat));
    if (options.maxPriority !== undefined && !(Number.isInteger(options.maxPriority) && options.maxPriority >= 1 && options.maxPriority <= 255)) {
      throw new ConfigurationError(`maxPriority must be an integer from 1 to 255, got ${shown(options.maxPriority)}.`);
    }
    this.maxPriority = options.maxPriority;
    const queueType = options.queueType ?? "classic";
    if (queueType !== "classic" && queueType !== "quorum") {
      throw new ConfigurationError(`queueType must be "classic" or "quorum", got ${shown(queueType)}.`);
    }
    this.queueType = queueType;
    if (queueType === "quorum" && options.maxPriority !== undefined) {
      throw new ConfigurationError(
        "maxPriority cannot be used with queueType \"quorum\": quorum queues have no priorities on RabbitMQ 3.10 (it refuses x-max-priority on them). Use classic queues for priorities, or separate queues per priority.",
      );
    }
    if (options.deliveryLimit !== undefined) {
      if (queueType !== "quorum") throw new ConfigurationError('deliveryLimit needs queueType "quorum": classic queues do not count deliveries.');
      if (!(Number.isInteger(options.deliveryLimit) && options.deliveryLimit >= 0 && options.deliveryLimit <= 0x7fffffff)) {
        throw new ConfigurationError(`deliveryLimit must be a whole number of deliveries (0 or more), got ${shown(options.deliveryLimit)}.`);
      }
    }
    this.deliveryLimit = options.deliveryLimit;
    this.confirmDelivery = options.confirmDelivery ?? false;
    this.deadMessageTtl = positive(options.deadMessageTtl ?? envTtl() ?? SEVEN_DAYS, "deadMessageTtl");
    this.maxDelayHold = positive(options.maxDelayHold ?? 300_000, "maxDelayHold");
    if (this.maxDelayHold < 1000) throw new ConfigurationError(`maxDelayHold must be at least 1000 ms, got ${this.maxDelayHold}.`);
    this.publishTimeout = positive(options.publishTimeout ?? 30_000, "publishTimeout");
    const connectTimeout = positive(options.connectTimeout ?? 10_000, "connectTimeout");
    const consumerTimeout = options.consumerTimeout ?? DEFAULT_CONSUMER_TIMEOUT;
    if (consumerTimeout !== Infinity && !(typeof consumerTimeout === "number" && Number.isFinite(consumerTimeout) && consumerTimeout > 0)) {
      throw new ConfigurationError(`consumerTimeout must be a positive number of milliseconds (Infinity when the server's is off), got ${shown(consumerTimeout)}.`);
    }
    this.consumerTimeout = consumerTimeout;
    const name = options.connectionName ?? `q-${process.pid}`;
    const common = { urls: this.urls, socketOptions: options.socketOptions ?? {}, connectTimeout, maxReconnectDelay: 2000 };
    this.producerConnection = new ConnectionManager({ ...common, name: `${name} (producer)`, logger: this.logger });
    this.connections = new ConnectionManager({ ...common, name: `${name} (consumer)`, logger: this.logger });
    this.publisher = new Publisher(
      this.producerConnection,
      (queue) => this.queueSet(queue),
      this.publishTimeout,
      this.logger,
      bytes(options.offlineQueueBytes ?? 16 * 1024 * 1024, "offlineQueueBytes"),
    );
  }

  override consume(queueName: string, options: ConsumeOptions = {}): Consumer {
    if (this.closed) throw new ConnectionClosed(`The broker is closed; cannot consume ${queueName}.`);
    if (!this.queues.has(qName(queueName))) this.declareQueue(qName(queueName));
    this.warnAboutLongActors(qName(queueName));
    const consumer = new RabbitmqConsumer(this, queueName, options.prefetch ?? 1, options.timeout ?? 5000, () =>
      this.consumers.delete(consumer),
    );
    this.consumers.add(consumer);
    return consumer;
  }

  /** Purges the queue, its delay queue and dead letters, and deletes its delay buckets. */
  override async flush(queueName: string): Promise<void> {
    const q = qName(queueName);
    const buckets = BUCKET_SECONDS.map((seconds) => bucketQueueName(q, seconds));
    await this.publisher.withAdmin(
      [q],
      async (channel) => {
        for (const name of [q, dqName(q), xqName(q)]) await channel.purgeQueue(name);
        for (const name of buckets) await channel.deleteQueue(name);
      },
      this.publishTimeout,
    );
    for (const name of buckets) this.publisher.forgetQueue(name);
    this.buckets.delete(q);
  }

  override async flushAll(): Promise<void> {
    for (const queue of this.queues) await this.flush(queue);
  }

  /**
   * The queue's ready counts (one passive declare each, on the admin channel): `pending`
   * the queue, `delayed` its delay queue plus the delay buckets this broker has used,
   * `deadLetters` its `.XQ`. RabbitMQ does not tell how many deliveries other processes
   * hold unacked, so there is no `inFlight`, and delayed messages a worker holds until
   * due are not in `delayed`.
   */
  override async queueDepth(queueName: string): Promise<QueueDepth> {
    const q = qName(queueName);
    const buckets = [...(this.buckets.get(q) ?? [])].map((seconds) => bucketQueueName(q, seconds));
    return this.publisher.withAdmin(
      [q],
      async (channel) => {
        const count = async (name: string) => (await channel.checkQueue(name)).messageCount;
        const [pending, delayed, deadLetters, ...inBuckets] = await Promise.all([q, dqName(q), xqName(q), ...buckets].map(count));
        return { pending: pending!, delayed: delayed! + inBuckets.reduce((a, b) => a + b, 0), deadLetters: deadLetters! };
      },
      this.publishTimeout,
    );
  }

  /**
   * Waits until the queue, its delay queue and the delay buckets this broker used hold
   * no ready messages and this broker's consumers of them have settled every delivery
   * (twice in a row). Ready counts are taken on the publishing channel (so this broker's
   * earlier publishes are counted) and each consumer's channel is synced (so deliveries
   * on the wire are counted). Unacked deliveries held by other processes are not visible
   * (as in Dramatiq). For tests and scripts.
   */
  override async join(queueName: string, options: JoinOptions = {}): Promise<void> {
    const q = qName(queueName);
    const deadline = options.timeout === undefined ? Infinity : Date.now() + options.timeout;
    let idle = 0;
    for (;;) {
      const queues = [q, dqName(q), ...[...(this.buckets.get(q) ?? [])].map((s) => bucketQueueName(q, s))];
      const ready = await this.publisher.readyCount(queues, this.confirmDelivery, Math.min(this.publishTimeout, Math.max(1, deadline - Date.now())));
      const local = [...this.consumers].filter((consumer) => qName(consumer.queueName) === q);
      // A message the server has handed to one of our consumers but that is still on the wire is
      // neither ready nor in flight here: a round trip on each consumer's channel brings it in.
      await Promise.all(local.map((consumer) => consumer.sync()));
      let inFlight = 0;
      for (const consumer of local) inFlight += consumer.inFlight;
      if (ready === 0 && inFlight === 0) {
        if (++idle >= 2) return;
      } else {
        idle = 0;
      }
      if (Date.now() >= deadline) throw new QueueJoinTimeout(`Timed out after ${options.timeout} ms waiting for queue ${queueName} to drain.`);
      await sleep(Math.min(idle ? 10 : 25, Math.max(0, deadline - Date.now())));
    }
  }

  /**
   * The broker's queue inspector (one per broker): counts of every queue by passive declares,
   * and its dead letters listed, requeued, deleted and purged. A queue and its delay queue
   * cannot be listed (workers consume them). See {@link RabbitmqInspector}.
   */
  override inspect(): QueueInspector {
    return (this.inspector ??= new RabbitmqInspector(this));
  }

  /**
   * @internal The inspector's requeue: publishes `message` as it is (no enqueue hooks, its
   * `broker_priority` as AMQP priority) and resolves once RabbitMQ has confirmed it, whatever
   * `confirmDelivery` says.
   */
  async publishConfirmed(message: Message): Promise<void> {
    const body = message.encode();
    this.checkMessageSize(message, body);
    await this.publisher.publish(message.queueName, body, brokerPriority(message), true);
  }

  /** @internal The delay bucket queues of `canonical` this broker has used (those `queueDepth` counts). */
  knownBuckets(canonical: string): string[] {
    return [...(this.buckets.get(canonical) ?? [])].map((seconds) => bucketQueueName(canonical, seconds));
  }

  /** @internal Whether the publishing connection is up now. */
  get connected(): boolean {
    return this.producerConnection.live !== undefined;
  }

  /**
   * Closes consumers (their unsettled deliveries return to the queues), lets publishes
   * in flight finish, then closes the connections. Bounded: resolves even while
   * RabbitMQ is unreachable. Idempotent.
   */
  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.close()));
    await this.inspector?.close();
    await this.publisher.close(2000);
    await Promise.all([this.producerConnection.close(), this.connections.close()]);
  }

  /**
   * Warns once per actor of `queue` whose time limit (or lack of one) is longer than the
   * server's consumer_timeout: RabbitMQ would close the channel under its message.
   */
  private warnAboutLongActors(queue: string): void {
    const timeLimit = this.middleware.find((m): m is TimeLimit => m instanceof TimeLimit);
    for (const actor of this.actors.values()) {
      if (actor.queueName !== queue || this.checkedActors.has(actor.actorName)) continue;
      this.checkedActors.add(actor.actorName);
      const limit = timeLimit?.limitForActor(actor) ?? Infinity;
      if (limit <= this.consumerTimeout) continue;
      const server = `RabbitMQ's consumer_timeout (${duration(this.consumerTimeout)}${this.consumerTimeout === DEFAULT_CONSUMER_TIMEOUT ? ", the server's default" : ""})`;
      this.logger.warn(
        `Actor '${actor.actorName}' ${limit === Infinity ? "has no time limit" : `has a time limit of ${duration(limit)}`}, longer than ${server}: ` +
          "a message of it that runs that long gets its channel closed by RabbitMQ, which then delivers every unacked message " +
          "of that channel again, the running one included. Raise consumer_timeout on the server and pass the same value " +
          "as the broker's consumerTimeout option, or give the actor a shorter timeLimit.",
      );
    }
  }

  private get queueKind(): QueueKind {
    return { queueType: this.queueType, maxPriority: this.maxPriority, deliveryLimit: this.deliveryLimit };
  }

  /** @internal The queues declared with `queue`, with their arguments. */
  queueSet(queue: string): QueueSet {
    let set = this.queueSets.get(queue);
    if (set) return set;
    const bucket = BUCKET_NAME.exec(queue);
    if (bucket) {
      set = { key: queue, queues: [{ name: queue, args: bucketArguments(bucket[1]!, Number(bucket[2]), this.queueKind) }] };
    } else {
      const q = qName(queue);
      const args = queueArguments(q, this.queueKind);
      set = {
        key: q,
        queues: [
          { name: q, args },
          { name: dqName(q), args },
          { name: xqName(q), args: deadLetterArguments(this.deadMessageTtl, this.queueKind) },
        ],
      };
    }
    this.queueSets.set(queue, set);
    return set;
  }

  /** @internal Parks a far-off delayed message in the longest bucket that ends before its eta. */
  async moveToBucket(canonical: string, body: Buffer, priority: number | undefined, eta: number): Promise<void> {
    const seconds = bucketFor(eta - Date.now()) ?? BUCKET_SECONDS[0]!;
    let known = this.buckets.get(canonical);
    if (!known) this.buckets.set(canonical, (known = new Set()));
    known.add(seconds);
    await this.publisher.publish(bucketQueueName(canonical, seconds), body, priority, true);
  }

  protected override publish(message: Message): Promise<void> {
    const body = message.encode();
    this.checkMessageSize(message, body);
    return this.publisher.publish(message.queueName, body, brokerPriority(message), this.confirmDelivery);
  }

  protected override async publishMany(messages: readonly Message[]): Promise<void> {
    // Every message is encoded and checked before the first is written: a batch with a message
    // over maxMessageSize (or a bad priority) writes nothing.
    const bodies = messages.map((message) => {
      const body = message.encode();
      this.checkMessageSize(message, body);
      return { queue: message.queueName, body, priority: brokerPriority(message) };
    });
    await this.publisher.publishAll(bodies, this.confirmDelivery);
  }
}

/** The `broker_priority` option as the message's AMQP priority (0..255), if set. */
function brokerPriority(message: Message): number | undefined {
  const priority = message.options.broker_priority;
  if (priority === undefined || priority === null) return undefined;
  if (!Number.isInteger(priority) || (priority as number) < 0 || (priority as number) > 255) {
    throw new ArgumentError(`broker_priority must be an integer from 0 to 255, got ${JSON.stringify(priority)}.`);
  }
  return priority as number;
}

function positive(value: number, name: string): number {
  if (!(typeof value === "number" && Number.isFinite(value) && value > 0)) throw new ConfigurationError(`${name} must be a positive number of milliseconds, got ${shown(value)}.`);
  return value;
}

function bytes(value: number, name: string): number {
  if (!(Number.isInteger(value) && value > 0)) throw new ConfigurationError(`${name} must be a positive whole number of bytes, got ${shown(value)}.`);
  return value;
}

function envTtl(): number | undefined {
  const raw = process.env.dramatiq_dead_message_ttl;
  if (raw === undefined || raw === "") return undefined;
  const ttl = Number(raw);
  if (!Number.isInteger(ttl) || ttl <= 0) throw new ConfigurationError(`dramatiq_dead_message_ttl must be a positive integer (ms), got ${JSON.stringify(raw)}.`);
  return ttl;
}

/** A bad option's value as the error message shows it (a string quoted, so "5" differs from 5). */
function shown(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** Milliseconds as "1860000 ms (31 min)" or "3000 ms (3 s)". */
function duration(ms: number): string {
  const [value, unit] = ms >= 60_000 ? [ms / 60_000, "min"] : [ms / 1000, "s"];
  return `${ms} ms (${Number.isInteger(value) ? value : value.toFixed(1)} ${unit})`;
}
