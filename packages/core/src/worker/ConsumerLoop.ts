import { setTimeout as sleep } from "node:timers/promises";
import type { Broker } from "../broker/Broker";
import type { Consumer } from "../broker/Consumer";
import { qName } from "../broker/queueNames";
import { stringifyPython } from "../encoding/stringifyPython";
import { ConfigurationError } from "../errors/ConfigurationError";
import { ConnectionError } from "../errors/ConnectionError";
import type { Logger } from "../logging/Logger";
import type { MessageProxy } from "../message/MessageProxy";
import { PriorityQueue } from "./PriorityQueue";
import { settleWithin } from "./settleWithin";

/** What a consumer loop hands its worker. */
export interface ConsumerLoopHost {
  readonly broker: Broker;
  /** A message ready to run (no eta, or its eta has passed). */
  submit(message: MessageProxy, consumer: Consumer): void;
  /**
   * The loop's consumer failed and is being replaced. Work fetched through it that has
   * not started goes back to the broker; the returned promise settles once every
   * message started from it is acked, nacked or abandoned — only then may it close,
   * since closing returns whatever it still holds (a running message would run twice).
   */
  consumerLost(consumer: Consumer): Promise<void>;
}

/**
 * Internal: runs one broker consumer for one queue (a queue or its delay queue) —
 * fetches, parks messages with an `eta` in memory until due, moves due ones to their
 * canonical queue (then acks the parked delivery), and restarts after errors.
 */
export class ConsumerLoop {
  consumer: Consumer | undefined;
  private running = false;
  private done: Promise<void> = Promise.resolve();
  private readonly parked = new PriorityQueue<MessageProxy>();
  private timer: NodeJS.Timeout | undefined;
  private moving: Promise<void> = Promise.resolve();
  private readonly stopSignal = new AbortController();
  /** Failed consumers waiting for their running messages to settle before they close. */
  private readonly retiring = new Set<Promise<void>>();
  private firstFetchDone: ((error: ConnectionError | ConfigurationError | undefined) => void) | undefined;
  /**
   * Settles when the first fetch does: undefined once the consumer has reached the
   * broker (its `connect()` resolved; without one, a message or an empty poll), or the
   * ConnectionError or ConfigurationError (e.g. the broker found the queue declared with
   * other arguments) it failed with first.
   */
  readonly firstFetch = new Promise<ConnectionError | ConfigurationError | undefined>((resolve) => (this.firstFetchDone = resolve));

  constructor(
    private readonly host: ConsumerLoopHost,
    readonly queueName: string,
    private readonly prefetch: number,
    private readonly timeout: number,
    private readonly restartDelay: number,
    private readonly logger: Logger,
  ) {}

  /** How many delayed messages are parked here. */
  get parkedCount(): number {
    return this.parked.size;
  }

  start(): void {
    // Once: a second fetch loop on the same consumer would fetch (and log) everything twice.
    if (this.running) return;
    this.running = true;
    this.done = this.run();
  }

  /** Stops fetching; resolves when the fetch loop has exited (at most one consumer timeout). */
  stopFetching(): Promise<void> {
    this.running = false;
    this.settleFirstFetch(undefined);
    this.stopSignal.abort();
    return this.done;
  }

  /**
   * Closes the consumer within `graceMs`. Everything it still has outstanding —
   * unstarted and abandoned work, parked delayed messages, anything fetched after the
   * stop began — goes back to the broker in one go, in the order it was fetched
   * (the Consumer contract), so the queue keeps its order.
   */
  async close(graceMs: number): Promise<void> {
    clearTimeout(this.timer);
    this.parked.drain();
    const consumer = this.consumer;
    const closing = consumer
      ? (async () => {
          await this.moving;
          await consumer.close().catch((err: unknown) => {
            // The broker is unreachable or closed: what the consumer held is redelivered by the
            // broker (Redis: after heartbeatTimeout), as after a crash. Nothing to act on here.
            if (err instanceof ConnectionError) {
              this.logger.warn(`Could not return the messages of ${this.queueName} on close (${err.message}); the broker delivers them again.`);
            } else {
              this.logger.error({ err }, `Failed to close the consumer of ${this.queueName}.`);
            }
          });
        })()
      : Promise.resolve();
    await settleWithin(Promise.all([closing, ...this.retiring]), graceMs);
    if (!consumer) return;
    await this.host.broker.emitBefore("beforeConsumerThreadShutdown", this.queueName);
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (!this.consumer) {
          this.consumer = this.host.broker.consume(this.queueName, { prefetch: this.prefetch, timeout: this.timeout });
          await this.host.broker.emitAfter("afterConsumerThreadBoot", this.queueName);
          if (this.consumer.connect) {
            await this.consumer.connect();
            this.settleFirstFetch(undefined);
          }
        }
        const consumer = this.consumer;
        while (this.running) {
          const message = await consumer.next();
          this.settleFirstFetch(undefined);
          if (!message) continue;
          // Fetched after the stop began: it stays outstanding and goes back on close.
          if (!this.running) continue;
          // Most messages have no eta and go straight to the worker, without an await.
          if ("eta" in message.options) await this.handle(message, consumer);
          else this.host.submit(message, consumer);
        }
      } catch (error) {
        if (error instanceof ConnectionError) {
          this.settleFirstFetch(error);
          this.logger.fatal({ err: error }, `Consumer encountered a connection error: ${(error as Error).message}`);
        } else if (error instanceof ConfigurationError) {
          // The broker refused how this worker uses it (a queue declared elsewhere with other
          // arguments): retrying alone does not fix it, so a first fetch fails with it.
          this.settleFirstFetch(error);
          this.logger.fatal({ err: error }, `Consumer of ${this.queueName} cannot start: ${error.message}`);
        } else {
          // Not a connection problem (a bug, a transient refusal): the worker has not failed
          // to reach its broker; the loop keeps retrying and logging.
          this.settleFirstFetch(undefined);
          this.logger.fatal({ err: error }, "Consumer encountered an unexpected error.");
        }
        await this.dropConsumer();
        if (this.running) {
          this.logger.info(`Restarting consumer in ${(this.restartDelay / 1000).toFixed(2)} seconds.`);
          // A stop ends the wait early (its abort is not an error).
          await sleep(this.restartDelay, undefined, { signal: this.stopSignal.signal }).catch((error: unknown) => {
            if (!this.stopSignal.signal.aborted) throw error;
          });
        }
      }
    }
  }

  private settleFirstFetch(error: ConnectionError | ConfigurationError | undefined): void {
    this.firstFetchDone?.(error);
    this.firstFetchDone = undefined;
  }

  /**
   * After an error: forget parked deliveries and start over with a new consumer at once.
   * The failed one stays open for the acks of its running messages and closes (returning
   * what it still holds) once they settle.
   */
  private async dropConsumer(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    clearTimeout(this.timer);
    this.parked.drain();
    if (!consumer) return;
    const moving = this.moving;
    const retire: Promise<void> = Promise.all([this.host.consumerLost(consumer), moving])
      .then(() => settleWithin(consumer.close(), 5_000))
      .then(
        () => undefined,
        (err: unknown) => this.logger.error({ err }, `Failed to close the replaced consumer of ${this.queueName}.`),
      )
      .finally(() => this.retiring.delete(retire));
    this.retiring.add(retire);
  }

  private async handle(message: MessageProxy, consumer: Consumer): Promise<void> {
    if ("eta" in message.options) {
      let eta = message.options.eta;
      if (eta === null || eta === undefined) {
        delete message.options.eta;
      } else {
        if (typeof eta !== "number" || !Number.isFinite(eta)) {
          this.logger.warn(`Invalid eta value ${stringifyPython(eta)} for message ${message.messageId}; treating it as due now.`);
          eta = Date.now();
          message.options.eta = eta;
        }
        await this.host.broker.emitBefore("beforeDelayMessage", message);
        this.parked.push(eta as number, message);
        this.schedule();
        return;
      }
    }
    this.host.submit(message, consumer);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    const next = this.parked.peekKey();
    if (next === undefined) return;
    // setTimeout caps at 2^31-1 ms; a longer wait simply re-schedules.
    const wait = Math.min(Math.max(0, next - Date.now()), 2 ** 31 - 1);
    this.timer = setTimeout(() => {
      this.moving = this.moving.then(() => this.moveDue());
    }, wait);
  }

  /** Moves every due parked message to its canonical queue, then acks the parked delivery. */
  private async moveDue(): Promise<void> {
    const consumer = this.consumer;
    while (consumer && (this.parked.peekKey() ?? Infinity) <= Date.now()) {
      const message = this.parked.pop()!;
      const options = { ...message.options };
      delete options.eta;
      try {
        await this.host.broker.enqueue(message.message.copy({ queueName: qName(message.queueName), replaceOptions: options }));
      } catch (err) {
        if (!(err instanceof ConnectionError)) {
          // Waiting cannot fix it (e.g. a priority this broker refuses): dead-letter, never loop.
          this.logger.error({ err }, `Could not move delayed message ${message.messageId} to ${qName(message.queueName)}; moving it to the dead letters.`);
          await consumer.nack(message).catch((error: unknown) => this.logger.error({ err: error }, `Could not dead-letter delayed message ${message.messageId}.`));
          continue;
        }
        this.logger.error({ err }, `Failed to move delayed message ${message.messageId} to ${qName(message.queueName)}; retrying in 1 s.`);
        this.parked.push(Date.now() + 1000, message);
        break;
      }
      try {
        await consumer.ack(message);
      } catch (err) {
        this.logger.error({ err }, `Moved delayed message ${message.messageId} but could not ack it; it may run twice.`);
      }
    }
    if (this.consumer === consumer) this.schedule();
  }
}
