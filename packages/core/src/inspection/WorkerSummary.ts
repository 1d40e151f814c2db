/**
 * One worker process as a broker's registry shows it (Redis heartbeats).
 *
 * @example
 * for (const w of (await inspector.listWorkers()) ?? []) console.log(w.id, new Date(w.lastSeen), w.inFlight);
 */
export interface WorkerSummary {
  /** The broker's id of the worker (Redis: the consumer id in `__heartbeats__`). */
  id: string;
  /** Its last heartbeat, ms since the epoch. */
  lastSeen: number;
  /** Messages it holds unacked, all queues together. */
  inFlight: number;
  /** Whether it missed heartbeats long enough that another worker may take its messages back. */
  stale: boolean;
}
