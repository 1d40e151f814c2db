import type { Target } from "../protocol";

/** The payload of every benchmark job, in every library: `{ i }`, the job's index. */
export interface Payload {
  i: number;
}

/** The name of the job/actor in every library. */
export const JOB_NAME = "bench_job";

/** What a worker tells the child about its jobs. */
export interface WorkerEvents {
  /**
   * The first thing the job's handler does; the handler returns what this returns (a
   * promise in the I/O-bound drain, which the library must await; otherwise nothing).
   */
  onStart(i: number): void | Promise<void>;
  /** The library says job `i` is done: its completion is written to Redis. */
  onComplete(i: number): void;
  /** The job failed, or the library reported an error. */
  onFail(error: unknown): void;
}

export interface ProducerHandle {
  /** Enqueues jobs `{ i: 0 }` … `{ i: n - 1 }` with the library's bulk call (building them is part of the work). */
  enqueueBulk(n: number): Promise<void>;
  /** Enqueues one job `{ i }` with the library's single-job call. */
  send(i: number): Promise<void>;
  /** Jobs waiting to be processed, by the library's own count. */
  waiting(): Promise<number>;
  close(): Promise<void>;
}

export interface WorkerHandle {
  /** Starts processing (resolves once the worker is running, not when it stops). */
  start(): Promise<void>;
  /** Records left in Redis: waiting, active, delayed, failed, or completed-but-kept jobs. 0 after a clean drain. */
  remaining(): Promise<number>;
  close(): Promise<void>;
}

/** How a worker is set up beyond its concurrency (the redelivery scenario's needs). */
export interface WorkerOptions {
  /**
   * Lower the library's setting that decides when a dead worker's jobs run again to this
   * many ms (see ../redeliverySetting.ts); undefined: the library's default.
   */
  recoveryMs?: number;
  /**
   * The worker must recover other (dead) workers' jobs. Only bee-queue needs to be told:
   * it checks for stalled jobs only when asked to (`checkStalledJobs`, as its README advises).
   */
  recoverStalled?: boolean;
}

/** One library, connected and configured as the benchmark uses it (see README, "Fairness"). */
export interface Adapter {
  /** Connects a producer (connected and ready when this resolves). */
  producer(target: Target): Promise<ProducerHandle>;
  /** Connects a worker without starting it. */
  worker(target: Target, concurrency: number, events: WorkerEvents, options?: WorkerOptions): Promise<WorkerHandle>;
}
