import { setTimeout as sleep } from "node:timers/promises";
import { BrokerError, ConnectionClosed, ConnectionFailed, type Consumer, type DecodeError, DeliveryLost, type Logger, Message, type MessageTooLarge, MessageProxy } from "@q/core";
import { Wakeup, qName, settleWithin } from "@q/core/broker";
import type * as amqp from "amqplib";
import type { ConnectionManager } from "./ConnectionManager";
import type { QueueSet } from "./Publisher";
import { QueueMismatch } from "./QueueMismatch";
import { declareError } from "./declareError";
import { QUEUE_FLAGS } from "./queueArguments";

/** What a consumer needs from its broker. */
export interface ConsumerHost {
  readonly connections: ConnectionManager;
  readonly logger: Logger;
  /** Most milliseconds a delayed delivery is held before its eta (longer waits go to a bucket). */
  readonly maxDelayHold: number;
  /** Quorum queues' `x-delivery-limit`, if set. */
  readonly deliveryLimit: number | undefined;
  /** A MessageTooLarge for a delivery over the broker's maxMessageSize (see Broker.oversizeReceived). */
  oversizeReceived(data: Buffer, where: string): MessageTooLarge | undefined;
  queueSet(queue: string): QueueSet;
  /** Puts a delayed message's bytes in its delay bucket, confirmed. */
  moveToBucket(canonical: string, body: Buffer, priority: number | undefined, eta: number): Promise<void>;
}

const DONE = Promise.resolve();

/**
 * Internal: consumes one queue on its own channel of the broker's consumer connection:
 * declares the queue's set, `basic.qos(prefetch)`, `basic.consume` with manual acks.
 * Acks are coalesced per event-loop turn (one `multiple` ack for the settled prefix of
 * delivery tags); nack dead-letters (`requeue=false`); poison payloads are nacked with
 * the reason logged; delayed deliveries due later than `maxDelayHold` are moved to a
 * delay bucket instead of being held. If the channel is lost while messages are handed
 * out, `next()` fails with ConnectionClosed (RabbitMQ redelivers them; the worker
 * drops its copies); without any, the consumer just re-subscribes.
 */
export class RabbitmqConsumer implements Consumer {
  private channel: amqp.Channel | undefined;
  private subscribed = false;
  private starting: Promise<boolean> | undefined;
  private buffer: (amqp.ConsumeMessage | undefined)[] = [];
  private head = 0;
  private readonly outstanding = new Map<MessageProxy, number>();
  private readonly orphans = new WeakSet<MessageProxy>();
  /**
   * Delivery tags not acked or nacked yet, in delivery order (tags only grow on a
   * channel), with the message id once decoded (for log lines).
   */
  private readonly unsettled = new Map<number, string | undefined>();
  private acks: number[] = [];
  private flushScheduled = false;
  private readonly moves = new Set<Promise<void>>();
  private readonly wakeup = new Wakeup();
  private lost: ConnectionClosed | undefined;
  private closed = false;
  private readonly isDelayQueue: boolean;
  private readonly canonical: string;

  constructor(
    private readonly host: ConsumerHost,
    readonly queueName: string,
    private readonly prefetch: number,
    private readonly timeout: number,
    private readonly onClose: () => void,
  ) {
    this.isDelayQueue = queueName.endsWith(".DQ");
    this.canonical = qName(queueName);
  }

  /** Deliveries this consumer holds that are not settled yet (for `join`). */
  get inFlight(): number {
    return this.unsettled.size + this.moves.size;
  }

  /**
   * A round trip on this consumer's channel. RabbitMQ writes a channel's deliveries
   * before a later reply on it, so afterwards every message the queue had already
   * handed to this consumer is in `inFlight` (what `join` needs). Never rejects.
   */
  async sync(): Promise<void> {
    const channel = this.channel;
    if (!channel || !this.subscribed) return;
    await settleWithin(channel.checkQueue(this.queueName), 2000);
  }

  /**
   * Connects, declares and subscribes; resolves once subscribed (or closed). Rejects with
   * ConnectionFailed when the broker never reached any node within `connectTimeout`;
   * after a loss it waits for the reconnection instead (bounded by `close()`).
   */
  async connect(): Promise<void> {
    while (!this.subscribed && !this.closed && !this.lost) await this.start(Date.now() + this.timeout);
  }

  async next(): Promise<MessageProxy | null> {
    if (this.closed) throw new ConnectionClosed(`The consumer of ${this.queueName} is closed.`);
    const deadline = Date.now() + this.timeout;
    for (;;) {
      if (this.lost) {
        const lost = this.lost;
        this.closed = true;
        this.onClose();
        throw lost;
      }
      if (this.closed) return null;
      if (!this.subscribed) {
        if (!(await this.start(deadline))) return null;
        continue;
      }
      const proxy = this.take();
      if (proxy) return proxy;
      const left = deadline - Date.now();
      if (left <= 0 || !(await this.wakeup.wait(left))) return null;
    }
  }

  ack(message: MessageProxy): Promise<void> {
    const tag = this.outstanding.get(message);
    if (tag === undefined) return this.unknown(message, "ack");
    this.outstanding.delete(message);
    this.queueAck(tag);
    return DONE;
  }

  nack(message: MessageProxy): Promise<void> {
    const tag = this.outstanding.get(message);
    if (tag === undefined) return this.unknown(message, "nack");
    this.outstanding.delete(message);
    this.reject(tag, false);
    return DONE;
  }

  requeue(messages: readonly MessageProxy[]): Promise<void> {
    for (const message of messages) {
      const tag = this.outstanding.get(message);
      if (tag === undefined) continue;
      this.outstanding.delete(message);
      this.reject(tag, true);
    }
    return DONE;
  }

  /** Sends pending acks and closes the channel: everything unsettled returns to the queue. Bounded. */
  async close(): Promise<void> {
    if (this.closed && !this.channel) return;
    this.closed = true;
    this.wakeup.notify();
    // A subscription under way finishes first, so its channel is closed below.
    if (this.starting) await settleWithin(this.starting, 2000);
    await settleWithin(Promise.all(this.moves), 2000);
    this.flushAcks();
    const channel = this.channel;
    this.channel = undefined;
    this.subscribed = false;
    this.onClose();
    if (channel) await settleWithin(channel.close(), 2000);
  }

  /** An ack that would do nothing must not count as one: the worker then logs it and skips `afterAck`. */
  private unknown(message: MessageProxy, what: string): Promise<void> {
    return Promise.reject(
      this.orphans.has(message)
        ? new DeliveryLost(`Could not ${what} message ${message.messageId}: the channel it came on is closed, so RabbitMQ delivers it again.`)
        : new BrokerError(`Cannot ${what} message ${message.messageId}: the consumer of ${this.queueName} does not hold it.`),
    );
  }

  /** Opens the channel (if needed), declares, subscribes. False if RabbitMQ was not reachable by `deadline`. */
  private start(deadline: number): Promise<boolean> {
    this.starting ??= this.subscribe(deadline).finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async subscribe(deadline: number): Promise<boolean> {
    try {
      return await this.trySubscribe(deadline);
    } catch (error) {
      if (error instanceof BrokerError || error instanceof QueueMismatch) throw error;
      // The channel or connection went away half-way: try again on the next call.
      if (!this.channel) {
        await sleep(100); // not a tight loop if channels keep failing
        return false;
      }
      throw new ConnectionClosed(`Could not consume ${this.queueName}: ${(error as Error).message}`, { cause: error });
    }
  }

  private async trySubscribe(deadline: number): Promise<boolean> {
    let channel = this.channel;
    if (!channel) {
      const connections = this.host.connections;
      // A server never reached in connectTimeout is a configuration problem worth reporting (the
      // q CLI exits 3 on it; a Worker starts a new consumer later). After a loss: keep waiting.
      const untilNeverConnected = connections.untilNeverConnected();
      const lastChance = untilNeverConnected <= deadline - Date.now();
      let connection: amqp.ChannelModel;
      try {
        connection = await connections.connection(Math.max(1, Math.min(deadline - Date.now(), untilNeverConnected)));
      } catch (error) {
        if (!(error instanceof ConnectionFailed)) throw error;
        if (lastChance) throw connections.neverConnectedError();
        return false;
      }
      channel = await connection.createChannel();
      if (this.closed) {
        // close() ran while the channel was opening: it must not consume for nobody.
        await settleWithin(channel.close(), 2000);
        return false;
      }
      const opened = channel;
      channel.on("error", (err: Error) => this.host.logger.warn({ err }, `RabbitMQ closed the channel of ${this.queueName}: ${err.message}`));
      channel.on("close", () => this.channelClosed(opened));
      this.channel = channel;
      await channel.prefetch(this.prefetch);
    }
    for (const { name, args } of this.host.queueSet(this.queueName).queues) {
      try {
        await channel.assertQueue(name, { ...QUEUE_FLAGS, arguments: args });
      } catch (error) {
        throw declareError(name, error);
      }
    }
    const subscribed = channel;
    await channel.consume(this.queueName, (delivery) => this.delivered(subscribed, delivery), { noAck: false });
    this.subscribed = true;
    return true;
  }

  private delivered(channel: amqp.Channel, delivery: amqp.ConsumeMessage | null): void {
    if (channel !== this.channel) return;
    if (delivery === null) {
      // basic.cancel from the server: the queue was deleted. Declare it again and re-subscribe.
      this.host.logger.warn(`RabbitMQ cancelled the consumer of ${this.queueName} (queue deleted?); declaring it again.`);
      this.subscribed = false;
      this.wakeup.notify();
      return;
    }
    this.unsettled.set(delivery.fields.deliveryTag, undefined);
    this.buffer.push(delivery);
    this.wakeup.notify();
  }

  private channelClosed(channel: amqp.Channel): void {
    if (channel !== this.channel) return;
    // Acks the worker gave that were still waiting for this turn's flush never reach RabbitMQ.
    if (this.acks.length > 0) this.settleFailed("ack", this.acks, "the channel closed before the ack was sent");
    this.channel = undefined;
    this.subscribed = false;
    this.buffer = [];
    this.head = 0;
    this.unsettled.clear();
    this.acks = [];
    if (this.closed) return;
    if (this.outstanding.size > 0) {
      for (const message of this.outstanding.keys()) this.orphans.add(message);
      this.lost = new ConnectionClosed(
        `The channel of ${this.queueName} closed with ${this.outstanding.size} message(s) handed out; RabbitMQ delivers them again.`,
      );
      this.outstanding.clear();
    }
    this.wakeup.notify();
  }

  /** The next deliverable message from the buffer; dead-letters poison and buckets far-off delays on the way. */
  private take(): MessageProxy | null {
    while (this.head < this.buffer.length) {
      const buffer = this.buffer;
      const delivery = buffer[this.head]!;
      buffer[this.head++] = undefined;
      if (this.head === buffer.length) {
        this.buffer = [];
        this.head = 0;
      } else if (this.head >= 1024 && this.head * 2 >= buffer.length) {
        this.buffer = buffer.slice(this.head);
        this.head = 0;
      }
      const tag = delivery.fields.deliveryTag;
      const tooLarge = this.host.oversizeReceived(delivery.content, `on ${this.queueName} (delivery ${tag})`);
      if (tooLarge) {
        this.host.logger.error({ err: tooLarge, messageId: tooLarge.messageId }, tooLarge.message);
        this.reject(tag, false);
        continue;
      }
      let message: Message;
      try {
        message = Message.decode(delivery.content);
        if (this.unsettled.has(tag)) this.unsettled.set(tag, message.messageId);
      } catch (error) {
        const messageId = (error as DecodeError).messageId ?? delivery.properties.messageId ?? undefined;
        this.host.logger.error(
          { err: error, messageId },
          `Dead-lettered an undecodable message on ${this.queueName} (delivery ${tag}${messageId ? `, message id ${messageId}` : ""}): ${(error as Error).message}`,
        );
        this.reject(tag, false);
        continue;
      }
      if (this.isDelayQueue) {
        const eta = message.options.eta;
        // A non-finite eta is invalid: the worker warns and runs it now, so it is never bucketed.
        if (typeof eta === "number" && Number.isFinite(eta) && eta - Date.now() > this.host.maxDelayHold) {
          this.moveToBucket(delivery, message, eta);
          continue;
        }
      }
      this.checkDeliveryCount(delivery, message);
      const proxy = new MessageProxy(message, this.queueName, delivery.content);
      this.outstanding.set(proxy, tag);
      return proxy;
    }
    return null;
  }

  /**
   * Quorum queues count how often a message came back unacked (`x-delivery-count`: its
   * worker process died or lost its channel while holding it). With a `deliveryLimit` this
   * is the last delivery before RabbitMQ dead-letters it: worth a warning naming it, as a
   * message that takes its worker down with it would otherwise go unnoticed.
   */
  private checkDeliveryCount(delivery: amqp.ConsumeMessage, message: Message): void {
    const limit = this.host.deliveryLimit;
    const count = delivery.properties.headers?.["x-delivery-count"];
    if (limit === undefined || typeof count !== "number" || count < limit) return;
    this.host.logger.warn(
      { messageId: message.messageId },
      `Message ${message.messageId} on ${this.queueName} was delivered ${count} times before without being acked (its worker died or lost ` +
        `its channel while holding it); RabbitMQ dead-letters it to ${this.canonical}.XQ if this delivery is not acked either (deliveryLimit ${limit}).`,
    );
  }

  /** Parks a far-off delayed message in its bucket (confirmed), then acks the delivery. Retries while the channel lives. */
  private moveToBucket(delivery: amqp.ConsumeMessage, message: Message, eta: number): void {
    const channel = this.channel;
    const tag = delivery.fields.deliveryTag;
    const priority = delivery.properties.priority ?? undefined;
    const move = (async () => {
      for (;;) {
        try {
          await this.host.moveToBucket(this.canonical, delivery.content, priority, eta);
          if (this.channel === channel) this.queueAck(tag);
          return;
        } catch (err) {
          if (this.channel !== channel || this.closed) return; // redelivered by RabbitMQ
          this.host.logger.warn({ err }, `Could not move delayed message ${message.messageId} to its delay bucket; retrying in 1 s.`);
          await sleep(1000);
        }
      }
    })();
    this.moves.add(move);
    void move.finally(() => this.moves.delete(move));
  }

  private queueAck(tag: number): void {
    this.acks.push(tag);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushAcks);
    }
  }

  /** One `multiple` ack for the acked tags below the oldest unsettled one, single acks for the rest. */
  private readonly flushAcks = (): void => {
    this.flushScheduled = false;
    const tags = this.acks;
    if (tags.length === 0) return;
    this.acks = [];
    const channel = this.channel;
    if (!channel) return this.settleFailed("ack", tags, "its channel is closed");
    if (tags.length > 1) tags.sort((a, b) => a - b);
    const ids = tags.map((tag) => this.unsettled.get(tag));
    for (const tag of tags) this.unsettled.delete(tag);
    const oldest = this.unsettled.size ? this.unsettled.keys().next().value! : Infinity;
    let prefix = 0;
    while (prefix < tags.length && tags[prefix]! < oldest) prefix++;
    try {
      if (prefix > 0) channel.ack(delivery(tags[prefix - 1]!), true);
      for (let i = prefix; i < tags.length; i++) channel.ack(delivery(tags[i]!), false);
    } catch (err) {
      this.settleFailed("ack", tags, (err as Error).message, err, ids);
    }
  };

  private reject(tag: number, requeue: boolean): void {
    const channel = this.channel;
    const id = this.unsettled.get(tag);
    this.unsettled.delete(tag);
    // A requeue that does not reach RabbitMQ has the same outcome: the message is delivered again.
    if (!channel) {
      if (!requeue) this.settleFailed("dead-letter", [tag], "its channel is closed", undefined, [id]);
      return;
    }
    try {
      channel.nack(delivery(tag), false, requeue);
    } catch (err) {
      if (!requeue) this.settleFailed("dead-letter", [tag], (err as Error).message, err, [id]);
    }
  }

  /**
   * Acks or dead-letters that never reached RabbitMQ: it delivers those messages again
   * (an acked one runs twice, a dead-lettered one is retried), so it is worth a warning.
   */
  private settleFailed(
    what: "ack" | "dead-letter",
    tags: readonly number[],
    reason: string,
    err?: unknown,
    ids: readonly (string | undefined)[] = tags.map((tag) => this.unsettled.get(tag)),
  ): void {
    const named = ids.map((id, i) => id ?? `delivery ${tags[i]}`);
    const list = named.length > 10 ? `${named.slice(0, 10).join(", ")} and ${named.length - 10} more` : named.join(", ");
    const messages = named.length === 1 ? `message ${list}` : `${named.length} messages (${list})`;
    this.host.logger.warn(
      err === undefined ? {} : { err },
      `Could not ${what} ${messages} on the channel of ${this.queueName}: ${reason}; RabbitMQ delivers ${named.length === 1 ? "it" : "them"} again.`,
    );
  }
}

/** amqplib's ack/nack read only the delivery tag. */
function delivery(tag: number): amqp.Message {
  return { fields: { deliveryTag: tag } } as amqp.Message;
}
