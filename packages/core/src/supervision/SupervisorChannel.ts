/**
 * How a worker process started by a supervisor (the `q` command) talks to the fork
 * processes through it. Values travel as structured-clone-able data (plain objects,
 * arrays, strings, numbers). Get it with {@link getSupervisorChannel}; a plain Node
 * process has none.
 *
 * @example
 * getSupervisorChannel()?.onCollect("my-stats", () => ({ handled }));
 */
export interface SupervisorChannel {
  /** This process's index among the worker processes (0 … processes − 1). */
  readonly index: number;
  /**
   * Answers a fork process's `collect(topic)` with `handler(request)`'s value (may be
   * async; a handler that throws or is too slow leaves this process out of that collect).
   * One handler per topic: a later one replaces it.
   */
  onCollect(topic: string, handler: (request: unknown) => unknown): void;
  /**
   * Sends this process's latest value for `topic` to the fork processes unasked (e.g. its
   * final numbers before it exits); resolves once it is written to the supervisor.
   */
  publish(topic: string, value: unknown): Promise<void>;
}
