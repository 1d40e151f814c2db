import {
  Broker,
  BrokerError,
  type BrokerOptions,
  ConfigurationError,
  type ConsumeOptions,
  type Consumer,
  type DecodeError,
  type JoinOptions,
  type Message,
  type MessageProxy,
  MessageTooLarge,
  QueueJoinTimeout,
  QueueNotFound,
  type QueueDepth,
  type QueueInspector,
} from "@q/core";
import { dqName, qName, uuid4 } from "@q/core/broker";
import { QueueStore } from "./QueueStore";
import { StubConsumer } from "./StubConsumer";
import { StubInspector } from "./StubInspector";

/** Options of {@link StubBroker}. */
export interface StubBrokerOptions extends BrokerOptions {
  /** `join()` re-throws a dead-lettered message's error unless told otherwise (default true). */
  failFastDefault?: boolean;
}

/** A payload that could not be decoded, kept with the reason. */
export interface PoisonMessage {
  queueName: string;
  data: Buffer;
  reason: string;
  /** An id for the inspector's actions (the payload has none that can be read). */
  id: string;
}

/**
 * An in-memory broker for tests and demos. Messages really go through encoding, so
 * anything that works here is what a real broker would carry. `join()` waits until a
 * queue is drained and, with `failFast`, re-throws the error of a dead-lettered
 * message in your test.
 *
 * @example
 * const broker = new StubBroker();
 * setBroker(broker);
 * const add = actor(function add(a: number, b: number) { return a + b });
 * const worker = new Worker(broker, { timeout: 100 });
 * await worker.start();
 * await add.send(1, 2);
 * await broker.join("default");   // throws if add failed for good
 * await worker.stop();
 */
export class StubBroker extends Broker {
  /** Nacked messages by the queue they were consumed from. */
  readonly deadLettersByQueue = new Map<string, MessageProxy[]>();
  /** Payloads that failed to decode (never handed to a worker). */
  readonly poisonMessages: PoisonMessage[] = [];
  private readonly stores = new Map<string, QueueStore>();
  private readonly failFastDefault: boolean;
  private readonly consumers = new Set<StubConsumer>();
  private readonly deadTimes = new WeakMap<object, number>();
  private inspector: StubInspector | undefined;

  constructor(options: StubBrokerOptions = {}) {
    super(options);
    const failFast = options.failFastDefault ?? true;
    if (typeof failFast !== "boolean") throw new ConfigurationError(`StubBroker: failFastDefault must be true or false, got ${JSON.stringify(failFast) ?? String(failFast)}.`);
    this.failFastDefault = failFast;
  }

  /** Every dead-lettered message, all queues together. */
  get deadLetters(): MessageProxy[] {
    return [...this.deadLettersByQueue.values()].flat();
  }

  override consume(queueName: string, options: ConsumeOptions = {}): Consumer {
    const store = this.store(queueName);
    const consumer = new StubConsumer(this, store, queueName, options.prefetch ?? 1, options.timeout ?? 100);
    this.consumers.add(consumer);
    return consumer;
  }

  /**
   * The stub's {@link QueueInspector}: every part of every queue is listable and every
   * action works, as on Redis, so a dashboard or `q dlq` can be tested without a server.
   *
   * @example
   * const dead = await broker.inspect().listMessages("default", "dead");
   */
  override inspect(): QueueInspector {
    return (this.inspector ??= new StubInspector(this));
  }

  /** Drops the queue's messages, delayed messages and dead letters (as Redis and RabbitMQ flush do). */
  override async flush(queueName: string): Promise<void> {
    for (const name of [queueName, dqName(queueName)]) {
      this.stores.get(name)?.clear();
      const dead = this.deadLettersByQueue.get(name);
      if (dead) dead.length = 0;
    }
    const poison = this.poisonMessages.filter((p) => p.queueName !== queueName && p.queueName !== dqName(queueName));
    this.poisonMessages.splice(0, this.poisonMessages.length, ...poison);
  }

  override async flushAll(): Promise<void> {
    for (const store of this.stores.values()) store.clear();
    for (const list of this.deadLettersByQueue.values()) list.length = 0;
    this.poisonMessages.length = 0;
  }

  /**
   * Waits until `queueName` and its delay queue have no unfinished messages. With
   * `failFast` (the default), then re-throws the first dead-lettered message's error.
   */
  override async join(queueName: string, options: JoinOptions = {}): Promise<void> {
    const queue = this.store(queueName);
    const delayed = this.store(dqName(queueName));
    const drained = () => queue.unfinished === 0 && delayed.unfinished === 0;
    if (!drained()) {
      await new Promise<void>((resolve, reject) => {
        const stops = [queue.listen(check), delayed.listen(check)];
        const timer =
          options.timeout === undefined
            ? undefined
            : setTimeout(() => {
                cleanup();
                reject(new QueueJoinTimeout(`Timed out after ${options.timeout} ms waiting for queue ${queueName} to drain.`));
              }, options.timeout);
        function cleanup() {
          clearTimeout(timer);
          for (const stop of stops) stop();
        }
        function check() {
          // A delayed message moves from the delay queue back to the queue: re-check both.
          if (drained()) {
            cleanup();
            resolve();
          }
        }
      });
    }
    if (options.failFast ?? this.failFastDefault) {
      const dead = [...(this.deadLettersByQueue.get(queueName) ?? []), ...(this.deadLettersByQueue.get(dqName(queueName)) ?? [])];
      const first = dead[0];
      if (first) {
        // A dead letter may carry no error: a middleware can fail a message that ran fine.
        throw first.exception ?? new BrokerError(`Message ${first.messageId} (${first.actorName}) on ${queueName} failed with unknown error: it was dead-lettered without one.`);
      }
    }
  }

  override async close(): Promise<void> {}

  /**
   * The queue's counts: waiting messages, messages on its delay queue (waiting or held by
   * a worker until due), dead letters of both, and messages a consumer holds unsettled.
   */
  override async queueDepth(queueName: string): Promise<QueueDepth> {
    const name = qName(queueName);
    const queue = this.store(name);
    const delayed = this.store(dqName(name));
    const dead = (this.deadLettersByQueue.get(name)?.length ?? 0) + (this.deadLettersByQueue.get(dqName(name))?.length ?? 0);
    return { pending: queue.size, delayed: delayed.unfinished, deadLetters: dead, inFlight: queue.unfinished - queue.size };
  }

  /** @internal */
  recordDeadLetter(queueName: string, message: MessageProxy): void {
    let list = this.deadLettersByQueue.get(queueName);
    if (!list) this.deadLettersByQueue.set(queueName, (list = []));
    list.push(message);
    this.deadTimes.set(message, Date.now());
  }

  /** @internal When a dead letter or poison payload was recorded. */
  deadAt(entry: object): number | undefined {
    return this.deadTimes.get(entry);
  }

  /** @internal The store of a declared queue or delay queue, or undefined. */
  storeOf(queueName: string): QueueStore | undefined {
    return this.stores.get(queueName);
  }

  /** @internal Messages consumers of `queueName` hold unsettled. */
  heldOn(queueName: string): MessageProxy[] {
    return [...this.consumers].filter((c) => c.queueName === queueName).flatMap((c) => c.held());
  }

  /** @internal */
  forgetConsumer(consumer: StubConsumer): void {
    this.consumers.delete(consumer);
  }

  /** @internal */
  recordPoison(queueName: string, data: Buffer, error: DecodeError | MessageTooLarge): void {
    const messageId = error.messageId;
    this.logger.error(
      { err: error, messageId },
      error instanceof MessageTooLarge ? error.message : `Moved an undecodable message on ${queueName} to the dead letters${messageId ? ` (message id ${messageId})` : ""}: ${error.message}`,
    );
    const poison = { queueName, data, reason: error.message, id: `poison-${uuid4()}` };
    this.poisonMessages.push(poison);
    this.deadTimes.set(poison, Date.now());
  }

  protected override async publish(message: Message): Promise<void> {
    const data = message.encode();
    this.checkMessageSize(message, data);
    this.store(message.queueName).put(data);
  }

  /** Checks every message's size before writing any: a batch with one too large writes nothing. */
  protected override async publishMany(messages: readonly Message[]): Promise<void> {
    const encoded = messages.map((message) => {
      const data = message.encode();
      this.checkMessageSize(message, data);
      return { store: this.store(message.queueName), data };
    });
    for (const { store, data } of encoded) store.put(data);
  }

  protected override onDeclareQueue(queueName: string): void {
    this.stores.set(queueName, new QueueStore());
    this.stores.set(dqName(queueName), new QueueStore());
    this.deadLettersByQueue.set(queueName, []);
    this.deadLettersByQueue.set(dqName(queueName), []);
  }

  /** Test hook: writes raw bytes to a queue as another producer might (e.g. a poison payload). */
  enqueueRaw(queueName: string, data: Buffer): void {
    this.store(queueName).put(data);
  }

  private store(queueName: string): QueueStore {
    const store = this.stores.get(queueName);
    if (!store) throw new QueueNotFound(`Queue ${queueName} has not been declared.`);
    return store;
  }
}
