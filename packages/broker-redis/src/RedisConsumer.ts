import { BrokerError, ConnectionClosed, type Consumer, type DecodeError, DeliveryLost, Message, MessageProxy } from "@q/core";
import { Wakeup } from "@q/core/broker";
import { Batcher } from "./Batcher";
import type { RedisBroker } from "./RedisBroker";

/** An id to ack; `held` when it is one of the messages handed out (counted against the prefetch). */
interface AckItem {
  id: string;
  held: boolean;
}

interface Fetched {
  id: string;
  data: Buffer | null;
}

/**
 * Internal: consumes one Redis queue. Fetches in batches up to the prefetch, wakes
 * on @q producers' Pub/Sub notices (polling at `timeout` for other producers), acks
 * in batches, dead-letters payloads that do not decode, keeps its heartbeat and
 * recovers dead workers' messages on a timer, and after a reconnect returns any ids
 * its ack set holds that it does not know about (a fetch whose reply was lost).
 */
export class RedisConsumer implements Consumer {
  private readonly outstanding = new Map<MessageProxy, string>();
  private cache: Fetched[] = [];
  private cacheHead = 0;
  private closed = false;
  private markClosed: () => void = () => undefined;
  private readonly whenClosed = new Promise<void>((resolve) => (this.markClosed = resolve));
  private fetching: Promise<number> | undefined;
  /** The fetch command in flight: ids it took are in the ack set but not in the cache yet. */
  private taking: Promise<unknown> | undefined;
  private wakes = 0;
  /**
   * When a fetch last found the queue empty (fewer messages than asked), and the wake-up
   * count before it was sent: with no wake-up since, a fetch would find nothing new from an
   * @q producer, so none is sent until `timeout` has passed (the poll for other producers).
   */
  private emptyAt = 0;
  private emptyMark = -1;
  private readonly wakeup = new Wakeup();
  private readonly unlisten: (() => Promise<void>) | undefined;
  private readonly maintenanceTimer: NodeJS.Timeout;
  private maintaining = false;
  /**
   * Check the ack set before the next fetch: at the start (a consumer this one replaces may
   * have lost a fetch's reply) and after every reconnect.
   */
  private needsReconcile = true;
  private readonly acks: Batcher<AckItem>;
  private readonly nacks: Batcher<string>;

  constructor(
    private readonly broker: RedisBroker,
    readonly queueName: string,
    private readonly prefetch: number,
    private readonly timeout: number,
    private readonly onClose: () => void,
  ) {
    this.acks = new Batcher((items) => this.flushAcks(items));
    this.nacks = new Batcher((ids) => this.broker.dispatch("nack", queueName, ids, "0").then(() => undefined));
    const listener = broker.wakeupListener();
    this.unlisten = listener?.listen(broker.wakeupChannel(queueName), () => this.signal(true));
    this.maintenanceTimer = setInterval(() => void this.maintain(), broker.maintenanceInterval);
  }

  /**
   * Reaches Redis: the first fetch, whose messages wait in the cache for `next()`. Rejects
   * like any command does (ConnectionFailed when Redis is never reached in connectTimeout).
   */
  async connect(): Promise<void> {
    // A close (a stop while Redis is not there yet) ends the wait at once.
    await Promise.race([this.fetch(this.prefetch), this.whenClosed]);
  }

  async next(): Promise<MessageProxy | null> {
    // Returning null at once would make a caller's fetch loop spin (broker closed under a running worker).
    if (this.closed) throw new ConnectionClosed(`The consumer of ${this.queueName} is closed.`);
    const deadline = Date.now() + this.timeout;
    for (;;) {
      if (this.closed) return null;
      const proxy = this.takeFromCache();
      if (proxy) return proxy;
      const room = this.prefetch - this.outstanding.size;
      const knownEmpty = this.knownEmpty();
      if (room > 0 && !knownEmpty) {
        const mark = this.wakes;
        // Joining a fetch in flight (an ack's): what it brought is looked at before any wait,
        // as the notice of its landing may come before the wait starts.
        const joined = this.fetching !== undefined;
        // A close ends a fetch that waits for Redis to come back (up to operationTimeout) at once.
        const fetched = await Promise.race([this.fetch(room), this.whenClosed.then(() => 0)]);
        if (this.closed) return null;
        if (joined || fetched > 0 || this.wakes !== mark) continue;
      }
      // Known empty: wait for a wake-up, but poll again once `timeout` has passed since.
      const until = knownEmpty ? Math.min(deadline, this.emptyAt + this.timeout) : deadline;
      const left = until - Date.now();
      if ((left <= 0 || !(await this.wakeup.wait(left))) && Date.now() >= deadline) return null;
    }
  }

  /** Whether the queue was found empty less than `timeout` ago with no wake-up since (only with wake-ups). */
  private knownEmpty(): boolean {
    return this.unlisten !== undefined && this.emptyMark === this.wakes && Date.now() - this.emptyAt < this.timeout;
  }

  async ack(message: MessageProxy): Promise<void> {
    const id = this.outstanding.get(message) ?? this.notHeld(message, "ack");
    await this.acks.add({ id, held: true });
    this.settled(message);
  }

  async nack(message: MessageProxy): Promise<void> {
    const id = this.outstanding.get(message) ?? this.notHeld(message, "nack");
    await this.nacks.add(id);
    this.settled(message);
  }

  /** The ids this consumer holds in the ack set (handed out or fetched and not handed out yet). */
  heldIds(): string[] {
    return [...this.outstanding.values(), ...this.cache.slice(this.cacheHead).map((f) => f.id)];
  }

  /** While a fetch is in flight: a promise that settles (never rejects) once it has landed in the cache. */
  fetchLanded(): Promise<unknown> | undefined {
    return this.taking;
  }

  async requeue(messages: readonly MessageProxy[]): Promise<void> {
    const ids = messages.flatMap((m) => {
      const id = this.outstanding.get(m);
      return id === undefined ? [] : [id];
    });
    // Forgotten first: if the reply is lost the ids' fate is unknown, and the queue's next
    // reconcile returns whichever are still in the ack set and held by no consumer.
    for (const m of messages) this.settled(m);
    if (ids.length) {
      await this.broker.dispatch("requeue", this.queueName, ids, "0").catch((error: unknown) => {
        this.broker.reconcileSoon(this.queueName);
        throw error;
      });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.markClosed();
    clearInterval(this.maintenanceTimer);
    this.signal(false);
    try {
      // A fetch still in flight lands in the cache first, or its ids would stay in the ack set
      // (not waited for while disconnected: it would only end at the operation timeout).
      if (this.broker.connected) await this.fetching?.catch(() => undefined);
      // Unprocessed and unacked messages go back to the head of the queue.
      const ids = this.heldIds();
      this.outstanding.clear();
      this.cache = [];
      this.cacheHead = 0;
      if (ids.length) {
        // Not returned: the ids stay in this worker's ack set; the queue's other consumers
        // return them at their next reconcile.
        await this.broker.dispatch("requeue", this.queueName, ids, "0").catch((error: unknown) => {
          this.broker.reconcileSoon(this.queueName);
          throw error;
        });
      }
    } finally {
      this.onClose();
      await this.unlisten?.().catch(() => undefined);
    }
  }

  /** @internal Check the ack set before the next fetch (the connection came back, or a requeue failed). */
  reconcileSoon(): void {
    this.needsReconcile = true;
    // Wake-ups sent while the connection was down were missed.
    this.emptyMark = -1;
  }

  /** A message this consumer does not hold: its ack would do nothing, so it must not count as acked. */
  private notHeld(message: MessageProxy, what: string): never {
    if (this.closed) {
      throw new DeliveryLost(`Cannot ${what} message ${message.messageId}: the consumer of ${this.queueName} was closed and returned it to the queue, so it runs again.`);
    }
    throw new BrokerError(`Cannot ${what} message ${message.messageId}: the consumer of ${this.queueName} does not hold it.`);
  }

  private takeFromCache(): MessageProxy | null {
    while (this.cacheHead < this.cache.length) {
      const { id, data } = this.cache[this.cacheHead++]!;
      if (this.cacheHead === this.cache.length) {
        this.cache = [];
        this.cacheHead = 0;
      }
      if (!data) {
        // The id was on the list but its payload is gone (deleted by hand, or purged).
        this.broker.logger.warn(`Message ${id} on ${this.queueName} has no payload; dropping it.`);
        void this.acks.add({ id, held: false }).catch(() => undefined);
        continue;
      }
      const tooLarge = this.broker.oversizeReceived(data, `(entry ${id}) on ${this.queueName}`);
      if (tooLarge) {
        this.broker.logger.error({ err: tooLarge, messageId: tooLarge.messageId }, tooLarge.message);
        void this.nacks.add(id).catch((err) => this.broker.logger.error({ err }, `Could not dead-letter message ${id}.`));
        continue;
      }
      let message: Message;
      try {
        message = Message.decode(data);
      } catch (error) {
        const messageId = (error as DecodeError).messageId;
        this.broker.logger.error(
          { err: error, messageId },
          `Moved an undecodable message ${id} on ${this.queueName} to the dead letters${messageId && messageId !== id ? ` (message id ${messageId})` : ""}: ${(error as Error).message}`,
        );
        void this.nacks.add(id).catch((err) => this.broker.logger.error({ err }, `Could not dead-letter message ${id}.`));
        continue;
      }
      const proxy = new MessageProxy(message, this.queueName, data);
      this.outstanding.set(proxy, id);
      return proxy;
    }
    return null;
  }

  /**
   * Sends a batch of acks, with the next fetch when they make room: one round trip and one
   * script call for both, which at low concurrency halves the calls per message. A fetch in
   * flight is waited for first (the acks then ride on the following one); a fetch started
   * meanwhile, or no room, sends them alone.
   */
  private async flushAcks(items: AckItem[]): Promise<void> {
    const ids = items.map((item) => item.id);
    if (this.fetching) await this.fetching.catch(() => undefined);
    if (this.fetching || this.closed || this.needsReconcile) {
      await this.broker.dispatch("ack", this.queueName, ids, "0");
      return;
    }
    let freed = 0;
    for (const item of items) if (item.held) freed++;
    await this.fetch(this.prefetch - (this.outstanding.size - freed), ids);
  }

  /**
   * Fetches up to `room` messages (minus those cached), acking `acks` in the same call;
   * one fetch at a time (a caller with nothing to ack joins the one in flight).
   */
  private fetch(room: number, acks: readonly string[] = []): Promise<number> {
    if (this.fetching) return this.fetching.then(() => 0);
    this.fetching = (async () => {
      if (this.needsReconcile) {
        this.needsReconcile = false;
        try {
          const returned = await this.broker.reconcile(this);
          if (returned > 0) this.broker.logger.warn(`Returned ${returned} message(s) to ${this.queueName} that a lost fetch had taken.`);
        } catch (error) {
          this.needsReconcile = true;
          throw error;
        }
      }
      const n = room - (this.cache.length - this.cacheHead);
      if (n <= 0) {
        if (acks.length) await this.broker.dispatch("ack", this.queueName, acks, "0");
        return 0;
      }
      const mark = this.wakes;
      const taking = (acks.length ? this.broker.dispatch("ackfetch", this.queueName, [n, ...acks]) : this.broker.dispatch("fetch", this.queueName, [n])) as Promise<(Buffer | null)[]>;
      this.taking = taking.then(
        () => undefined,
        () => undefined,
      );
      let reply: (Buffer | null)[];
      try {
        reply = await taking;
      } finally {
        this.taking = undefined;
      }
      for (let i = 0; i < reply.length; i += 2) this.cache.push({ id: reply[i]!.toString(), data: reply[i + 1] ?? null });
      if (reply.length / 2 < n) {
        this.emptyAt = Date.now();
        this.emptyMark = mark;
      }
      return reply.length / 2;
    })().finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  }

  private settled(message: MessageProxy): void {
    if (this.outstanding.delete(message)) this.signal(false);
  }

  private signal(wake: boolean): void {
    if (wake) this.wakes++;
    this.wakeup.notify();
  }

  /** Heartbeat, recover dead workers' messages of this queue, expire old dead letters. */
  private async maintain(): Promise<void> {
    if (this.maintaining || this.closed) return;
    this.maintaining = true;
    try {
      const full = Math.random() * 1_000_000 < this.broker.maintenanceChance ? "2" : "1";
      const recovered = Number(await this.broker.dispatch("maintenance", this.queueName, [], full));
      if (recovered > 0) this.broker.logger.info(`Recovered ${recovered} message(s) of dead workers on ${this.queueName}.`);
    } catch {
      // Warned about by the broker (every call is a heartbeat); retried on the next tick.
    } finally {
      this.maintaining = false;
    }
  }
}
