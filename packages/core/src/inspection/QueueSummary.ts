/**
 * One queue as {@link QueueInspector.listQueues} shows it: its counts, read from the server.
 *
 * @example
 * for (const q of await inspector.listQueues()) console.log(q.name, q.pending, q.deadLetters);
 */
export interface QueueSummary {
  /** The canonical queue name (never `.DQ` or `.XQ`). */
  name: string;
  /** Messages on the queue itself. Redis counts those a worker holds too (see `inFlight`). */
  pending: number;
  /** Messages on its delay queue. */
  delayed: number;
  /** Dead letters kept for it. */
  deadLetters: number;
  /** Messages fetched by a worker and not yet acked, when the broker can tell. */
  inFlight?: number;
  /** Consumers attached to the queue, when the broker can tell (RabbitMQ). */
  consumers?: number;
  /** Whether an actor of this process declared it; false for a queue found only on the server (e.g. one that Python workers use). */
  declared: boolean;
}
