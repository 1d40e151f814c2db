/** One worker process as the supervisor knows it. */
export interface WorkerProcessInfo {
  /** Unique for the life of the supervisor (a restarted process gets a new id). */
  readonly id: string;
  /** Its slot among the worker processes (a restarted process keeps its slot). */
  readonly index: number;
  readonly pid: number;
}

/** A value one worker process sent for a topic. */
export interface WorkerValue {
  readonly worker: WorkerProcessInfo;
  readonly value: unknown;
}

/** What {@link ForkContext.collect} asks. */
export interface CollectOptions {
  /** Passed to each worker's handler. */
  request?: unknown;
  /** Milliseconds to wait for the answers; processes slower than this are left out. */
  timeout: number;
  /** Ask every ready worker process (default) or just one of them. */
  workers?: "all" | "one";
}

/**
 * What the `q` command gives a fork function (see {@link ForkFunctionRef}): the values
 * the worker processes answer or publish on a topic, their exits, and a small store in the
 * supervisor that outlives this fork process (it is restarted on reload or after a crash).
 * Published values and exits that come while the fork function is still setting up (for
 * instance those that waited for this copy during a restart) are delivered, in order,
 * once it has returned.
 *
 * @example
 * export async function serveStats(context: ForkContext) {
 *   const answers = await context.collect("my-stats", { timeout: 1000 });
 *   context.onWorkerExit((worker) => console.log("gone", worker.pid));
 * }
 */
export interface ForkContext {
  /** Asks the ready worker processes for their value on `topic`; resolves with the answers that came in time. */
  collect(topic: string, options: CollectOptions): Promise<WorkerValue[]>;
  /** Calls `listener` with each value a worker process publishes on `topic`. */
  onPublish(topic: string, listener: (value: WorkerValue) => void): void;
  /** Calls `listener` when a worker process has exited (after its last published value). */
  onWorkerExit(listener: (worker: WorkerProcessInfo) => void): void;
  /** Stores `value` for `key` in the supervisor; a later copy of this fork reads it with {@link kept}. */
  keep(key: string, value: unknown): void;
  /** What {@link keep} stored for `key` (by this fork or an earlier copy), if anything. */
  kept(key: string): unknown;
}
