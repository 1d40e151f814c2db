import { setTimeout as sleep } from "node:timers/promises";
import { BrokerError, ConnectionClosed, ConnectionError, ConnectionFailed, type Logger } from "@q/core";
import { settleWithin } from "@q/core/broker";
import type * as amqp from "amqplib";
import type { ConnectionManager } from "./ConnectionManager";
import { type PublishFields, publishConfirmed, publishFields, publishRaw } from "./amqpPublish";
import { QueueMismatch } from "./QueueMismatch";
import { declareError } from "./declareError";
import { QUEUE_FLAGS } from "./queueArguments";

/** The queues declared together when one of them is used (the canonical three, or one delay bucket). */
export interface QueueSet {
  key: string;
  queues: readonly { name: string; args: Record<string, unknown> }[];
}

interface Pending {
  queue: string;
  body: Buffer;
  returned: boolean;
}

type ChannelKind = "plain" | "confirm" | "admin";

/** The channels and declarations of one connection; a reconnect starts a new session. */
class Session {
  readonly channels = new Map<ChannelKind, amqp.Channel>();
  readonly opening = new Map<ChannelKind, Promise<amqp.Channel>>();
  readonly declaring = new Map<string, Promise<void>>();
  /** Queue names whose set is declared on this connection. */
  readonly ready = new Set<string>();
  /** Confirmed publishes awaiting their confirm (to match `basic.return`s). */
  readonly pending = new Set<Pending>();
  constructor(readonly connection: amqp.ChannelModel) {}
}

const DONE = Promise.resolve();
/** What a waiting publish costs besides its body (its message, promises, closures): a measured guess. */
const WAITER_BYTES = 4096;

/**
 * Internal: the producer side of the broker on its own connection. Declares a queue's
 * set once per connection (again after a reconnect, or when RabbitMQ returns a message
 * because the queue is gone), publishes persistent mandatory messages to the default
 * exchange, with confirms when asked, and retries through reconnects until
 * `publishTimeout` has passed, then fails with a ConnectionError.
 */
export class Publisher {
  private session: Session | undefined;
  private readonly fields = new Map<string, PublishFields>();
  private readonly drains = new WeakMap<amqp.Channel, Promise<void>>();
  /** The channel whose last fast-path write filled its buffer (cleared once read by {@link publishAll}). */
  private backedUp: amqp.Channel | undefined;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  /** Bytes of publishes that started while no connection was live and have not settled. */
  private waitingBytes = 0;

  constructor(
    private readonly manager: ConnectionManager,
    private readonly queueSet: (queue: string) => QueueSet,
    private readonly publishTimeout: number,
    private readonly logger: Logger,
    private readonly offlineQueueBytes: number,
  ) {}

  /**
   * Publishes `body` to `queue`. Without `confirm` it resolves once the frames are
   * written (after a `drain` if the socket is backed up); with it, once RabbitMQ has
   * confirmed the message.
   */
  publish(queue: string, body: Buffer, priority: number | undefined, confirm: boolean): Promise<void> {
    const fields = priority === undefined ? this.fieldsFor(queue) : publishFields(queue, priority);
    if (!confirm) {
      const s = this.session;
      const channel = s?.channels.get("plain");
      if (channel && s!.ready.has(queue) && s!.connection === this.manager.live) {
        try {
          if (publishRaw(channel, fields, body)) return DONE;
          this.backedUp = channel;
          return this.track(this.drained(channel, Date.now() + this.publishTimeout));
        } catch {
          // the channel closed under us: the slow path reconnects
        }
      }
      return this.track(this.whileOffline(queue, body, () => this.publishPlain(queue, fields, body)));
    }
    // Fast path: one promise per message, settled from the confirm callback.
    const s = this.session;
    const channel = s?.channels.get("confirm") as amqp.ConfirmChannel | undefined;
    if (channel && s!.ready.has(queue) && s!.connection === this.manager.live) {
      const session = s!;
      return new Promise<void>((resolve, reject) => {
        const pending: Pending = { queue, body, returned: false };
        session.pending.add(pending);
        this.inFlight++;
        const settle = (error: Error | null) => {
          session.pending.delete(pending);
          if (!error && !pending.returned) {
            this.landed();
            resolve();
          } else {
            // Returned, refused or lost with its channel: the slow path sends it again.
            this.publishWithConfirm(queue, fields, body, pending.returned ? 1 : 0).then(resolve, reject).finally(() => this.landed());
          }
        };
        try {
          if (!publishConfirmed(channel, fields, body, settle)) this.backedUp = channel;
        } catch (error) {
          settle(error as Error);
        }
      });
    }
    return this.track(this.whileOffline(queue, body, () => this.publishWithConfirm(queue, fields, body, 0)));
  }

  /**
   * Publishes several messages in order and resolves once each has settled as
   * {@link publish} would. Unlike a burst of `publish` calls it writes no further while
   * the channel's buffer is full: it waits for the channel's `drain` before the next
   * message. RabbitMQ then reads (and confirms) the first messages while the rest are
   * still being written, instead of after the whole batch sat in this process's memory.
   */
  async publishAll(items: readonly { queue: string; body: Buffer; priority: number | undefined }[], confirm: boolean): Promise<void> {
    const settled = new Array<Promise<void>>(items.length);
    // Each publish's own promise carries its outcome; an early failure must not go unhandled
    // while the loop still waits for a drain.
    const noted = (promise: Promise<void>) => {
      promise.catch(() => undefined);
      return promise;
    };
    for (let i = 0; i < items.length; i++) {
      const { queue, body, priority } = items[i]!;
      this.backedUp = undefined;
      settled[i] = noted(this.publish(queue, body, priority, confirm));
      const full = this.backedUp;
      if (full) {
        this.backedUp = undefined;
        // A drain that does not come in time fails the publishes waiting on it, not the pacing.
        await this.drained(full, Date.now() + this.publishTimeout).catch(() => undefined);
      }
    }
    await Promise.all(settled);
  }

  /**
   * While no connection is live, publishes wait for one (up to publishTimeout), bounded in
   * bytes like the Redis broker's calls: past `offlineQueueBytes` a publish fails at once,
   * never sent, so a producer sending into a stopped RabbitMQ does not grow without bound.
   */
  private whileOffline(queue: string, body: Buffer, publish: () => Promise<void>): Promise<void> {
    if (this.manager.live) return publish();
    const bytes = body.length + WAITER_BYTES;
    if (this.waitingBytes > 0 && this.waitingBytes + bytes > this.offlineQueueBytes) {
      return Promise.reject(
        new ConnectionClosed(
          `RabbitMQ is unreachable and ${this.waitingBytes} bytes of publishes already wait for it (offlineQueueBytes); the message to ${queue} was not sent.`,
          { written: "no" },
        ),
      );
    }
    this.waitingBytes += bytes;
    return publish().finally(() => (this.waitingBytes -= bytes));
  }

  /**
   * The ready messages of `queues` on the server, counted on the publishing channel
   * itself, so publishes made before the call are already counted.
   */
  async readyCount(queues: readonly string[], confirm: boolean, timeout: number): Promise<number> {
    const deadline = Date.now() + timeout;
    let total = 0;
    for (const queue of queues) {
      const channel = await this.channelFor(confirm ? "confirm" : "plain", queue, deadline);
      const { args } = this.queueSet(queue).queues.find((q) => q.name === queue)!;
      total += (await channel.assertQueue(queue, { ...QUEUE_FLAGS, arguments: args })).messageCount;
    }
    return total;
  }

  /** Runs `fn` on the admin channel (declared sets of `queues` first); forgets declarations it may have undone. */
  async withAdmin<T>(queues: readonly string[], fn: (channel: amqp.Channel) => Promise<T>, timeout: number): Promise<T> {
    const deadline = Date.now() + timeout;
    for (const queue of queues) await this.channelFor("admin", queue, deadline);
    const session = await this.sessionFor(deadline);
    const channel = await this.open(session, "admin");
    try {
      return await fn(channel);
    } finally {
      for (const queue of queues) this.forget(session, queue);
    }
  }

  /** Forgets that `queue` is declared (it was deleted): the next publish declares it again. */
  forgetQueue(queue: string): void {
    if (this.session) this.forget(this.session, queue);
  }

  /** Waits (bounded) for publishes in flight, then closes the channels; the connection is the manager's. */
  async close(graceMs: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.inFlight > 0 && this.manager.live) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.idleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const session = this.session;
    this.session = undefined;
    if (!session || session.connection !== this.manager.live) return;
    // Closing a channel first flushes its publishes (the connection close could overtake them).
    await Promise.all(
      [...session.channels.values()].map((channel) => settleWithin(channel.close(), graceMs)),
    );
  }

  private fieldsFor(queue: string): PublishFields {
    let fields = this.fields.get(queue);
    if (!fields) {
      fields = publishFields(queue);
      this.fields.set(queue, fields);
    }
    return fields;
  }

  private async publishPlain(queue: string, fields: PublishFields, body: Buffer): Promise<void> {
    const deadline = Date.now() + this.publishTimeout;
    for (;;) {
      const channel = await this.channelFor("plain", queue, deadline);
      try {
        if (!publishRaw(channel, fields, body)) await this.drained(channel, deadline);
        return;
      } catch (error) {
        if (error instanceof BrokerError || error instanceof QueueMismatch) throw error;
        if (Date.now() >= deadline) throw new ConnectionClosed(`Could not publish to ${queue}: ${(error as Error).message}`, { cause: error, written: "maybe" });
      }
    }
  }

  private async publishWithConfirm(queue: string, fields: PublishFields, body: Buffer, returns: number): Promise<void> {
    const deadline = Date.now() + this.publishTimeout;
    let published = returns > 0; // a returned message was published (and not routed)
    for (;;) {
      let channel: amqp.ConfirmChannel;
      try {
        channel = (await this.channelFor("confirm", queue, deadline)) as amqp.ConfirmChannel;
      } catch (error) {
        // An earlier attempt that lost its confirm may have landed.
        if (published && (error instanceof ConnectionFailed || (error instanceof ConnectionClosed && error.written === "no"))) {
          throw new ConnectionClosed(`${error.message} An earlier attempt was published but not confirmed; it may have been enqueued.`, { cause: error.cause, written: "maybe" });
        }
        throw error;
      }
      published = true;
      const session = this.session!;
      const pending: Pending = { queue, body, returned: false };
      session.pending.add(pending);
      const error = await new Promise<Error | null>((resolve) => {
        try {
          publishConfirmed(channel, fields, body, resolve);
        } catch (err) {
          resolve(err as Error);
        }
      });
      session.pending.delete(pending);
      if (pending.returned) {
        if (++returns > 3) throw new BrokerError(`RabbitMQ could not route a message to ${queue} after declaring it ${returns} times.`);
        continue;
      }
      if (!error) return;
      // Lost with its channel or refused (nack): send it again; it may arrive twice (at-least-once).
      if (this.closed || Date.now() >= deadline) {
        throw new ConnectionClosed(`RabbitMQ did not confirm a message to ${queue}: ${error.message}`, { cause: error, written: "maybe" });
      }
      this.logger.warn(`RabbitMQ did not confirm a message to ${queue} (${error.message}); publishing it again.`);
      if (session.channels.get("confirm") === channel) {
        // A nack on a live channel. After a quorum queue's leader moved, RabbitMQ 3.10 can go on
        // nacking every publish of that channel (its enqueuer session is stuck): the next attempt
        // goes on a new channel, after a pause, rather than in a tight loop on the same one.
        session.channels.delete("confirm");
        void settleWithin(channel.close(), 2000);
        await sleep(50);
      }
    }
  }

  /** A channel of `kind` on a live connection with `queue`'s set declared; retries through reconnects until `deadline`. */
  private async channelFor(kind: ChannelKind, queue: string, deadline: number): Promise<amqp.Channel> {
    for (;;) {
      if (this.closed) throw new ConnectionClosed(`The RabbitMQ broker is closed; cannot use queue ${queue}.`, { written: "no" });
      let session: Session;
      try {
        session = await this.sessionFor(deadline);
      } catch (error) {
        if (!(error instanceof ConnectionFailed)) throw error;
        throw new ConnectionFailed(`Could not use queue ${queue}: ${error.message}`, { cause: error.cause });
      }
      try {
        const channel = await this.open(session, kind);
        if (!session.ready.has(queue)) await this.declare(session, queue);
        if (session.channels.get(kind) === channel) return channel;
      } catch (error) {
        if ((error instanceof BrokerError && !(error instanceof ConnectionError)) || error instanceof QueueMismatch) throw error;
        if (Date.now() >= deadline) {
          throw new ConnectionClosed(`Could not use queue ${queue}: ${(error as Error).message}`, { cause: error, written: "no" });
        }
        await sleep(50);
      }
    }
  }

  private async sessionFor(deadline: number): Promise<Session> {
    const connection = await this.manager.connection(deadline - Date.now());
    if (!this.session || this.session.connection !== connection) this.session = new Session(connection);
    return this.session;
  }

  private open(session: Session, kind: ChannelKind): Promise<amqp.Channel> {
    const open = session.channels.get(kind);
    if (open) return Promise.resolve(open);
    let opening = session.opening.get(kind);
    if (!opening) {
      opening = (async () => {
        const channel = kind === "confirm" ? await session.connection.createConfirmChannel() : await session.connection.createChannel();
        channel.on("error", (err: Error) => this.logger.warn({ err }, `RabbitMQ closed the ${kind} publishing channel: ${err.message}`));
        channel.on("close", () => {
          if (session.channels.get(kind) === channel) session.channels.delete(kind);
        });
        if (kind !== "admin") channel.on("return", (message: amqp.Message) => this.returned(session, kind, message));
        session.channels.set(kind, channel);
        return channel;
      })().finally(() => session.opening.delete(kind));
      session.opening.set(kind, opening);
    }
    return opening;
  }

  private declare(session: Session, queue: string): Promise<void> {
    const set = this.queueSet(queue);
    let declaring = session.declaring.get(set.key);
    if (!declaring) {
      declaring = (async () => {
        const channel = await this.open(session, "admin");
        for (const { name, args } of set.queues) {
          try {
            await channel.assertQueue(name, { ...QUEUE_FLAGS, arguments: args });
          } catch (error) {
            throw declareError(name, error);
          }
        }
        for (const { name } of set.queues) session.ready.add(name);
      })();
      session.declaring.set(set.key, declaring);
      declaring.catch(() => session.declaring.delete(set.key));
    }
    return declaring;
  }

  private forget(session: Session, queue: string): void {
    const set = this.queueSet(queue);
    session.declaring.delete(set.key);
    for (const { name } of set.queues) session.ready.delete(name);
  }

  /** `basic.return`: the queue is gone. Declare it again and publish the message again. */
  private returned(session: Session, kind: ChannelKind, message: amqp.Message): void {
    const queue = message.fields.routingKey;
    this.logger.warn(`RabbitMQ returned a message for ${queue} (no such queue: deleted?); declaring it again and republishing.`);
    this.forget(session, queue);
    if (kind === "confirm") {
      for (const pending of session.pending) {
        if (!pending.returned && pending.queue === queue && pending.body.equals(message.content)) {
          pending.returned = true; // its publisher republishes once the confirm arrives
          return;
        }
      }
      return;
    }
    this.publish(queue, message.content, message.properties.priority ?? undefined, false).catch((err) =>
      this.logger.error({ err }, `Could not republish a returned message to ${queue}; it is lost.`),
    );
  }

  /** Resolves at the channel's next `drain` (one shared wait per channel, however many publishes are backed up). */
  private drained(channel: amqp.Channel, deadline: number): Promise<void> {
    let waiting = this.drains.get(channel);
    if (!waiting) {
      waiting = this.waitForDrain(channel, deadline).finally(() => this.drains.delete(channel));
      this.drains.set(channel, waiting);
    }
    return waiting;
  }

  private waitForDrain(channel: amqp.Channel, deadline: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        channel.off("drain", onDrain);
        channel.off("close", onClose);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () => done(); // written before the close; nothing more to wait for
      const timer = setTimeout(
        () => done(new ConnectionFailed(`RabbitMQ did not take more data within ${this.publishTimeout} ms (blocked or unreachable).`)),
        Math.max(0, deadline - Date.now()),
      );
      channel.on("drain", onDrain);
      channel.on("close", onClose);
    });
  }

  private track(promise: Promise<void>): Promise<void> {
    this.inFlight++;
    return promise.finally(() => this.landed());
  }

  /** One publish in flight has finished (either way). */
  private landed(): void {
    if (--this.inFlight === 0 && this.idleWaiters.length) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }
}
