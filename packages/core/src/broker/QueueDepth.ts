/**
 * How many messages a queue holds right now, as {@link Broker.queueDepth} reads them from
 * the server. A count the broker cannot tell cheaply is left out.
 *
 * @example
 * const depth = await broker.queueDepth?.("default");
 * // { pending: 12, delayed: 3, deadLetters: 0, inFlight: 2 }
 */
export interface QueueDepth {
  /** Messages waiting on the queue itself, ready to be fetched. */
  pending: number;
  /** Messages on its delay queue (not yet due, or due and not yet moved). */
  delayed: number;
  /** Dead-lettered messages kept for the queue. */
  deadLetters: number;
  /** Messages fetched by some worker and not yet acked or nacked, when the broker can tell. */
  inFlight?: number;
}
