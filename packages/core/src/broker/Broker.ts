import type { Actor } from "../actor/Actor";
import { ActorNotFound } from "../errors/ActorNotFound";
import { ArgumentError } from "../errors/ArgumentError";
import { ConfigurationError } from "../errors/ConfigurationError";
import { describeValue } from "../errors/describeValue";
import { MessageTooLarge } from "../errors/MessageTooLarge";
import { MiddlewareError } from "../errors/MiddlewareError";
import type { Logger } from "../logging/Logger";
import { defaultLogger } from "../logging/defaultLogger";
import type { Message } from "../message/Message";
import { peekMessageId } from "../message/peekMessageId";
import type { HookName, Middleware, MiddlewareHooks } from "../middleware/Middleware";
import { defaultMiddleware } from "../middleware/defaultMiddleware";
import type { ConsumeOptions, Consumer } from "./Consumer";
import type { QueueDepth } from "./QueueDepth";
import type { QueueInspector } from "../inspection/QueueInspector";
import { dqName } from "./queueNames";
import { rememberBroker } from "../results/resultBackendOf";

/** Options every broker accepts. */
export interface BrokerOptions {
  /** Exactly these middleware; default: AgeLimit, TimeLimit, ShutdownNotifications, Callbacks, Pipelines, Retries. */
  middleware?: Middleware[];
  /** Where log lines go (pino); default: {@link defaultLogger} (stderr, text lines, `LOG_LEVEL` or warn). */
  logger?: Logger;
  /**
   * Most bytes an encoded message may have; default {@link DEFAULT_MAX_MESSAGE_SIZE} (16 MiB),
   * `null` for no limit. A send over it throws {@link MessageTooLarge} before anything is
   * written; a worker dead-letters a received message over it without decoding it (the
   * reason is logged with the message id). Bounds a worker's memory at about
   * prefetch × limit, whatever a producer writes.
   */
  maxMessageSize?: number | null;
}

/** The default `maxMessageSize`: 16 MiB, RabbitMQ 4's own default limit. */
export const DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;

/** Options of `broker.join()`. */
export interface JoinOptions {
  /** Milliseconds to wait before {@link QueueJoinTimeout}; default: forever. */
  timeout?: number;
  /** Re-throw the first dead-lettered message's error (brokers that keep it, e.g. the stub). */
  failFast?: boolean;
}

type Hooked<K extends HookName> = Middleware & Required<Pick<MiddlewareHooks, K>>;
type HookArgs<K extends HookName> = Parameters<NonNullable<MiddlewareHooks[K]>> extends [Broker, ...infer A] ? A : never;

/**
 * The base class of brokers: holds declared actors and queues and the middleware
 * list, runs the hooks, and defines what a concrete broker implements (publish,
 * consume, flush, join, close). Brokers speak Dramatiq's wire format.
 *
 * @example
 * const broker = new StubBroker();       // any concrete broker
 * setBroker(broker);
 * const add = actor(function add(a: number, b: number) { return a + b });
 * await add.send(1, 2);
 */
export abstract class Broker {
  readonly actors = new Map<string, Actor<any, any>>();
  readonly queues = new Set<string>();
  readonly delayQueues = new Set<string>();
  readonly actorOptions = new Set<string>();
  /** This broker's own logger (`q.broker.<Class>`). */
  readonly logger: Logger;
  /** The logger the broker was given; every component names its own child of it. */
  readonly rootLogger: Logger;
  /** The list itself; only addMiddleware/removeMiddleware change it, so the caches stay right. */
  private readonly middlewareList: Middleware[] = [];
  private middlewareView: readonly Middleware[] = Object.freeze([]);
  private readonly hookCache = new Map<HookName, Middleware[]>();
  private readonly classCache = new Map<abstract new (...a: any[]) => Middleware, boolean>();
  /** The `maxMessageSize` option: most bytes of an encoded message, or null for no limit. */
  readonly maxMessageSize: number | null;

  constructor(options: BrokerOptions = {}) {
    const { logger, middleware, maxMessageSize } = options;
    if (maxMessageSize !== undefined && maxMessageSize !== null && !(Number.isInteger(maxMessageSize) && maxMessageSize > 0)) {
      throw new ConfigurationError(`${new.target.name}: maxMessageSize must be a positive whole number of bytes or null, got ${describeValue(maxMessageSize)}.`);
    }
    this.maxMessageSize = maxMessageSize === undefined ? DEFAULT_MAX_MESSAGE_SIZE : maxMessageSize;
    if (logger !== undefined && typeof (logger as Partial<Logger> | null)?.child !== "function") {
      throw new ConfigurationError(`${new.target.name}: logger must be a pino logger (or one with child()), got ${describeValue(logger)}.`);
    }
    if (middleware !== undefined && !Array.isArray(middleware)) {
      throw new ConfigurationError(`${new.target.name}: middleware must be a list of Middleware instances, got ${describeValue(middleware)}.`);
    }
    const bad = middleware?.findIndex((m) => !isMiddleware(m)) ?? -1;
    if (bad >= 0) {
      throw new ConfigurationError(`${new.target.name}: middleware[${bad}] must be a Middleware instance, got ${describeValue(middleware![bad])}.`);
    }
    this.rootLogger = logger ?? defaultLogger();
    this.logger = this.rootLogger.child({ name: `q.broker.${new.target.name}` });
    for (const m of middleware ?? defaultMiddleware()) this.addMiddleware(m);
  }

  /**
   * The installed middleware, in order: a frozen copy, replaced on every change. Change the
   * list with {@link Broker.addMiddleware} and {@link Broker.removeMiddleware}, which also
   * reset the per-hook lists the emits use; the copy cannot be changed behind their back.
   */
  get middleware(): readonly Middleware[] {
    return this.middlewareView;
  }

  /**
   * Adds a middleware at the end, or just before/after the first middleware of the
   * given class. Its actor options become valid, and it is told about every actor,
   * queue and delay queue declared so far (that is how a late worker learns them).
   */
  addMiddleware(
    middleware: Middleware,
    position: { before?: abstract new (...a: any[]) => Middleware; after?: abstract new (...a: any[]) => Middleware } = {},
  ): void {
    if (!isMiddleware(middleware)) throw new ArgumentError(`addMiddleware takes a Middleware instance, got ${describeValue(middleware)}.`);
    if (position.before && position.after) throw new ArgumentError("addMiddleware takes `before` or `after`, not both.");
    const anchor = position.before ?? position.after;
    if (anchor) {
      const i = this.middlewareList.findIndex((m) => m instanceof anchor);
      if (i < 0) throw new ArgumentError(`addMiddleware: no middleware of class ${anchor.name} to insert next to.`);
      this.middlewareList.splice(position.before ? i : i + 1, 0, middleware);
    } else {
      if (this.middlewareList.some((m) => m.constructor === middleware.constructor)) {
        this.logger.warn(`You're adding a middleware of the same type twice: ${middleware.constructor.name}.`);
      }
      this.middlewareList.push(middleware);
    }
    this.middlewareChanged();
    for (const option of middleware.actorOptions) this.actorOptions.add(option);
    for (const actor of this.actors.values()) this.declarationHook(middleware, "afterDeclareActor", actor, false);
    for (const queue of this.queues) this.declarationHook(middleware, "afterDeclareQueue", queue, false);
    for (const queue of this.delayQueues) this.declarationHook(middleware, "afterDeclareDelayQueue", queue, false);
  }

  /** Removes a middleware instance (a stopped worker removes its own). */
  removeMiddleware(middleware: Middleware): void {
    const i = this.middlewareList.indexOf(middleware);
    if (i >= 0) this.middlewareList.splice(i, 1);
    this.middlewareChanged();
  }

  private middlewareChanged(): void {
    this.middlewareView = Object.freeze([...this.middlewareList]);
    this.hookCache.clear();
    this.classCache.clear();
  }

  /**
   * Runs `hook` on every middleware in list order. A {@link MiddlewareError}
   * (such as SkipMessage) propagates; any other error is logged and ignored.
   * Returns nothing when every hook ran synchronously (hot paths skip an await),
   * else a promise of the rest.
   */
  emitBefore<K extends HookName>(hook: K, ...args: HookArgs<K>): void | Promise<void> {
    const list = this.withHook(hook);
    for (let i = 0; i < list.length; i++) {
      const pending = this.callHook(list[i]!, hook, args, true);
      if (pending) return this.finishBefore(list, i, pending, hook, args);
    }
  }

  /** Runs `hook` on every middleware in reverse list order; errors are logged and ignored. */
  emitAfter<K extends HookName>(hook: K, ...args: HookArgs<K>): void | Promise<void> {
    const list = this.withHook(hook);
    for (let i = list.length - 1; i >= 0; i--) {
      const pending = this.callHook(list[i]!, hook, args, false);
      if (pending) return this.finishAfter(list, i, pending, hook, args);
    }
  }

  /** Calls one hook; returns its promise if it went async (errors handled as the emit rules say). */
  private callHook(m: Middleware, hook: HookName, args: readonly unknown[], before: boolean): Promise<void> | undefined {
    try {
      const out = (m[hook] as (...a: unknown[]) => unknown).call(m, this, ...args);
      if (out && typeof (out as Promise<unknown>).then === "function") {
        return (out as Promise<unknown>).then(
          () => undefined,
          (error) => this.hookFailed(m, hook, error, before),
        );
      }
    } catch (error) {
      this.hookFailed(m, hook, error, before);
    }
    return undefined;
  }

  private hookFailed(m: Middleware, hook: HookName, error: unknown, before: boolean): void {
    if (before && error instanceof MiddlewareError) throw error;
    this.logger.fatal({ err: error }, `Unexpected failure in ${hook} of ${m.constructor.name}.`);
  }

  private async finishBefore(list: Middleware[], i: number, pending: Promise<void>, hook: HookName, args: readonly unknown[]): Promise<void> {
    await pending;
    for (let j = i + 1; j < list.length; j++) await this.callHook(list[j]!, hook, args, true);
  }

  private async finishAfter(list: Middleware[], i: number, pending: Promise<void>, hook: HookName, args: readonly unknown[]): Promise<void> {
    await pending;
    for (let j = i - 1; j >= 0; j--) await this.callHook(list[j]!, hook, args, false);
  }

  /** Whether a middleware of this class is installed (cached; hot paths ask per message). */
  hasMiddleware(cls: abstract new (...a: any[]) => Middleware): boolean {
    let found = this.classCache.get(cls);
    if (found === undefined) {
      found = this.middlewareList.some((m) => m instanceof cls);
      this.classCache.set(cls, found);
    }
    return found;
  }

  /** Whether any middleware implements `hook` (lets hot paths skip empty emits). */
  hasHook(hook: HookName): boolean {
    return this.withHook(hook).length > 0;
  }

  /** Registers an actor (called by `actor()`); declares its queue. */
  declareActor(actor: Actor<any, any>): void {
    this.emitDeclaration("beforeDeclareActor", actor, true);
    this.declareQueue(actor.queueName);
    this.actors.set(actor.actorName, actor);
    this.emitDeclaration("afterDeclareActor", actor, false);
  }

  /** Declares a queue and its delay queue (idempotent). */
  declareQueue(queueName: string): void {
    if (this.queues.has(queueName)) return;
    this.emitDeclaration("beforeDeclareQueue", queueName, true);
    this.queues.add(queueName);
    this.onDeclareQueue(queueName);
    this.emitDeclaration("afterDeclareQueue", queueName, false);
    const delayQueue = dqName(queueName);
    this.delayQueues.add(delayQueue);
    this.emitDeclaration("afterDeclareDelayQueue", delayQueue, false);
  }

  /** The actor registered under `name`; throws {@link ActorNotFound}. */
  getActor(name: string): Actor<any, any> {
    const actor = this.actors.get(name);
    if (!actor) throw new ActorNotFound(`Actor ${name} not found.`);
    return actor;
  }

  getDeclaredActors(): string[] {
    return [...this.actors.keys()];
  }
  getDeclaredQueues(): string[] {
    return [...this.queues];
  }
  getDeclaredDelayQueues(): string[] {
    return [...this.delayQueues];
  }

  /**
   * Enqueues a message, after `delay` ms if given (it then goes to the delay queue
   * with an `eta` option). Runs the enqueue hooks; returns the message as enqueued.
   *
   * @example
   * await broker.enqueue(new Message({ queueName: "default", actorName: "py_actor", args: [1], kwargs: { x: 2 } }));
   */
  async enqueue(message: Message, options: { delay?: number } = {}): Promise<Message> {
    const prepared = this.withMiddlewareOptions(this.prepareForEnqueue(message, options.delay));
    const before = this.emitBefore("beforeEnqueue", prepared, options.delay);
    if (before) await before;
    await this.publish(prepared);
    const after = this.emitAfter("afterEnqueue", prepared, options.delay);
    if (after) await after;
    rememberBroker(prepared, this);
    return prepared;
  }

  /**
   * Enqueues many messages in one go (brokers batch the writes; see `publishMany`).
   * Hooks run for every message. Returns the messages as enqueued, in order.
   */
  async enqueueMany(messages: readonly Message[], options: { delay?: number } = {}): Promise<Message[]> {
    const prepared = messages.map((m) => this.withMiddlewareOptions(this.prepareForEnqueue(m, options.delay)));
    if (this.hasHook("beforeEnqueue")) for (const m of prepared) await this.emitBefore("beforeEnqueue", m, options.delay);
    await this.publishMany(prepared);
    if (this.hasHook("afterEnqueue")) for (const m of prepared) await this.emitAfter("afterEnqueue", m, options.delay);
    for (const m of prepared) rememberBroker(m, this);
    return prepared;
  }

  /** Starts consuming a declared queue (or delay queue). */
  abstract consume(queueName: string, options?: ConsumeOptions): Consumer;
  /** Drops every message of a queue and of its delay and dead-letter queues. */
  abstract flush(queueName: string): Promise<void>;
  /** Flushes every declared queue. */
  abstract flushAll(): Promise<void>;
  /** Waits until a queue and its delay queue are empty and nothing is in flight (tests). */
  abstract join(queueName: string, options?: JoinOptions): Promise<void>;
  /** Releases connections; pending publishes finish first. */
  abstract close(): Promise<void>;
  /**
   * Optional: how many messages the queue (a canonical name) holds now, read cheaply from
   * the server (a few constant-time counts; metrics call it on every scrape). Brokers that
   * cannot tell leave it out.
   */
  queueDepth?(queueName: string): Promise<QueueDepth>;
  /**
   * Optional: the broker's {@link QueueInspector} (list, page through and repair queues; what
   * `@q/dashboard` and `q queues` use). One per broker: calling it again returns the same one.
   */
  inspect?(): QueueInspector;

  /** Writes one prepared message to its queue. */
  protected abstract publish(message: Message): Promise<void>;

  /** Writes several prepared messages; brokers override this to batch. */
  protected async publishMany(messages: readonly Message[]): Promise<void> {
    for (const m of messages) await this.publish(m);
  }

  /**
   * Turns a message into what is written, in one copy: the broker's own per-enqueue
   * options ({@link Broker.enqueueOptions}) and, with a delay, the delay queue and
   * `eta = now + delay`.
   */
  protected prepareForEnqueue(message: Message, delay: number | undefined): Message {
    const extra = this.enqueueOptions();
    if (delay === undefined || delay === null) {
      if (!extra) return message;
      // `extra` is fresh and ours: with no options to merge it becomes the options as is.
      return isEmpty(message.options) ? message.copy({ replaceOptions: Object.freeze(extra) }) : message.copy({ options: extra });
    }
    if (typeof delay !== "number" || !Number.isFinite(delay) || delay < 0) {
      throw new ArgumentError(`delay must be a non-negative number of milliseconds, got ${String(delay)}.`);
    }
    return message.copy({ queueName: dqName(message.queueName), options: { ...extra, eta: Date.now() + Math.trunc(delay) } });
  }

  /** The message with the options the `messageOptions` middleware hooks add (the same one when none do). */
  private withMiddlewareOptions(message: Message): Message {
    if (!this.hasHook("messageOptions")) return message;
    let extra: Record<string, unknown> | undefined;
    for (const m of this.withHook("messageOptions")) {
      const added = (m as Hooked<"messageOptions">).messageOptions(this, message);
      if (added) extra = { ...extra, ...added };
    }
    return extra ? message.copy({ options: extra }) : message;
  }

  /**
   * For brokers' publish: throws {@link MessageTooLarge} when `payload` (the message encoded)
   * is over `maxMessageSize`. Call it for every message before writing any of them.
   */
  protected checkMessageSize(message: Message, payload: Buffer | string): void {
    const size = this.sizeOverLimit(payload);
    if (size === undefined) return;
    throw new MessageTooLarge(
      `Message ${message.messageId} (${message.actorName} on ${message.queueName}) is ${size} bytes, over the broker's maxMessageSize of ${this.maxMessageSize} bytes; nothing was sent. Store large data elsewhere and send its key, or raise maxMessageSize.`,
      { messageId: message.messageId, size, limit: this.maxMessageSize! },
    );
  }

  /**
   * For brokers' consumers: a {@link MessageTooLarge} for received bytes over `maxMessageSize`
   * (to log and dead-letter them undecoded), or undefined when they are within it.
   * `where` names the delivery in the reason, e.g. `"on queue default"`.
   */
  oversizeReceived(data: Buffer | string, where: string): MessageTooLarge | undefined {
    const size = this.sizeOverLimit(data);
    if (size === undefined) return undefined;
    const limit = this.maxMessageSize!;
    const messageId = peekMessageId(typeof data === "string" ? Buffer.from(data) : data);
    return new MessageTooLarge(
      `Message ${messageId ?? "(id not found)"} ${where} is ${size} bytes, over the broker's maxMessageSize of ${limit} bytes; dead-lettered without decoding it.`,
      { messageId, size, limit },
    );
  }

  /** `data`'s size in bytes when it is over `maxMessageSize`, else undefined. */
  private sizeOverLimit(data: Buffer | string): number | undefined {
    const limit = this.maxMessageSize;
    if (limit === null) return undefined;
    if (typeof data !== "string") return data.length > limit ? data.length : undefined;
    // Once per message sent and received: a string whose every UTF-16 unit could take 3 bytes
    // and still fit is not measured (measuring walks the whole text).
    if (data.length * 3 <= limit) return undefined;
    const size = Buffer.byteLength(data);
    return size > limit ? size : undefined;
  }

  /** Options a broker adds to every enqueued message (Redis: a fresh `redis_message_id`). */
  protected enqueueOptions(): Record<string, unknown> | undefined {
    return undefined;
  }

  /** Called once per newly declared canonical queue; brokers set up storage here. */
  protected onDeclareQueue(_queueName: string): void {}

  private withHook(hook: HookName): Middleware[] {
    let list = this.hookCache.get(hook);
    if (!list) {
      list = this.middlewareList.filter((m) => typeof m[hook] === "function") as Hooked<typeof hook>[];
      this.hookCache.set(hook, list);
    }
    return list;
  }

  /**
   * Declaration hooks run synchronously (actors are declared while modules load):
   * every hook is called now, in order; one that goes async only has its failure logged.
   */
  private emitDeclaration(hook: HookName, arg: unknown, before: boolean): void {
    const list = this.withHook(hook);
    for (let k = 0; k < list.length; k++) this.declarationHook(list[before ? k : list.length - 1 - k]!, hook, arg, before);
  }

  private declarationHook(m: Middleware, hook: HookName, arg: unknown, before: boolean): void {
    if (typeof m[hook] !== "function") return;
    this.callHook(m, hook, [arg], before)?.catch((error) =>
      this.logger.fatal({ err: error }, `Unexpected failure in ${hook} of ${m.constructor.name}.`),
    );
  }
}

/** Duck-typed, so a middleware made with another copy of @q/core counts too. */
function isMiddleware(value: unknown): value is Middleware {
  return typeof value === "object" && value !== null && Array.isArray((value as Partial<Middleware>).actorOptions);
}

function isEmpty(object: object): boolean {
  for (const _ in object) return false;
  return true;
}
