import type { MessageProxy } from "../message/MessageProxy";

/**
 * Receives messages from one queue for a worker; made by `broker.consume()`.
 * Implementations keep at most `prefetch` messages outstanding (handed out and not
 * yet acked or nacked) and dead-letter payloads that do not decode, logging why.
 *
 * @example
 * const consumer = broker.consume("default", { prefetch: 10, timeout: 1000 });
 * const m = await consumer.next();
 * if (m) await consumer.ack(m);
 * await consumer.close();
 */
export interface Consumer {
  readonly queueName: string;
  /**
   * Optional: reaches the broker (connects, declares, subscribes) before the first
   * `next()`. Resolves once this consumer can receive messages, or early once `close()`
   * is called; rejects with a ConnectionError when the broker cannot be reached at all
   * (e.g. never within the broker's `connectTimeout`). A worker awaits it on every new
   * consumer and counts the consumer as connected (`Worker.whenConnected()`) when it
   * resolves. Without it, the first `next()` that resolves counts, so a consumer whose
   * `next()` may return `null` before it has reached the broker must implement this.
   */
  connect?(): Promise<void>;
  /** The next message, or `null` after waiting up to the consumer's timeout. `close()` ends the wait early. */
  next(): Promise<MessageProxy | null>;
  /** Done: remove the message from the broker. */
  ack(message: MessageProxy): Promise<void>;
  /** Rejected: move the delivery, as received, to the dead-letter queue. */
  nack(message: MessageProxy): Promise<void>;
  /** Put fetched but unprocessed messages back on their queue. */
  requeue(messages: readonly MessageProxy[]): Promise<void>;
  /** Stop; whatever is still outstanding returns to the queue (at-least-once). */
  close(): Promise<void>;
}

/** How to consume: outstanding-message bound and idle wait. */
export interface ConsumeOptions {
  /** Most messages outstanding at once (default 1). */
  prefetch?: number;
  /** Milliseconds `next()` waits before returning `null`. */
  timeout?: number;
}
