import { BrokerError } from "@q/core";

/**
 * A send with {@link RedisBrokerOptions.durableEnqueue} was written on the primary but not
 * confirmed by the required number of replicas within the timeout (or the connection to the
 * primary closed before they confirmed). The message is on the primary and will run if that
 * primary stays up; a failover now may lose it. Sending it again may run it twice.
 *
 * @example
 * try { await job.send(1) } catch (e) {
 *   if (e instanceof EnqueueNotReplicated) console.warn(`${e.replicas}/${e.required} replicas have it`, e.messageIds);
 * }
 */
export class EnqueueNotReplicated extends BrokerError {
  /** Replicas that confirmed (`WAIT`'s answer); undefined when the connection closed first. */
  readonly replicas: number | undefined;
  /** Replicas required (`durableEnqueue.replicas`). */
  readonly required: number;
  /** The ids of the messages of the send. */
  readonly messageIds: readonly string[];

  constructor(message: string, details: { replicas: number | undefined; required: number; messageIds: readonly string[] }, options?: { cause?: unknown }) {
    super(message, options);
    this.replicas = details.replicas;
    this.required = details.required;
    this.messageIds = details.messageIds;
  }
}
