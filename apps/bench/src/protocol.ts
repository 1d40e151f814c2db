/**
 * What the harness (parent) and its child processes say to each other over Node's IPC
 * channel. The parent never runs a queue library itself: every measured piece of work
 * runs in a child, and IPC messages are only exchanged before and after a measurement.
 */

/**
 * Everything the harness can run: the competitors, @q with its Prometheus middleware, and
 * the Redis ceiling (plain pipelined ioredis, no library: ./adapters/ioredisRaw.ts).
 */
export const LIBS = ["q", "bullmq", "bee-queue", "ioredis-raw", "q-prom"] as const;
export type Lib = (typeof LIBS)[number];

/**
 * What runs without `--libs`: @q side by side with its competitors and the raw-ioredis
 * ceiling. `q-prom` measures one of @q's own middleware, not a competitor, so it is asked
 * for by name (`--libs q,q-prom`).
 */
export const DEFAULT_LIBS: readonly Lib[] = ["q", "bullmq", "bee-queue", "ioredis-raw"];

/** Display names. */
export const LIB_LABEL: Record<Lib, string> = { q: "@q", bullmq: "BullMQ", "bee-queue": "bee-queue", "ioredis-raw": "raw ioredis", "q-prom": "@q + Prometheus" };

/** Libraries that recover a dead worker's jobs, so the redelivery scenario can run them (raw ioredis has no recovery). */
export const REDELIVERING_LIBS: readonly Lib[] = ["q", "bullmq", "bee-queue", "q-prom"];

/** Where a child finds Redis and its queue: a fresh prefix/namespace per measurement. */
export interface Target {
  redisUrl: string;
  /** Key prefix (BullMQ, bee-queue) or namespace (@q); every key the run makes starts with `${prefix}:`. */
  prefix: string;
  queue: string;
}

export type Task =
  /** Enqueue jobs 0..n-1 with the library's bulk call; the result is the time it took. */
  | { role: "bulk-producer"; lib: Lib; target: Target; n: number }
  /** Send jobs 0..n-1 one at a time, `gapMs` apart; the result is each send's start time. */
  | { role: "latency-producer"; lib: Lib; target: Target; n: number; gapMs: number }
  /** Start a worker on a full queue and time it until `n` jobs have completed; each job awaits `delayMs` (0: none). */
  | { role: "drain-worker"; lib: Lib; target: Target; n: number; concurrency: number; delayMs: number }
  /** Start an idle worker and record when each of `n` jobs starts. */
  | { role: "latency-worker"; lib: Lib; target: Target; n: number; concurrency: number }
  /**
   * Work on a queue whose jobs each take `jobMs`, reporting every job start and completion
   * as a `job` message (the harness kills one such worker mid-job and starts another); the
   * result comes once `n` jobs have completed and `graceMs` more have passed without news.
   */
  | { role: "redelivery-worker"; lib: Lib; target: Target; n: number; concurrency: number; jobMs: number; graceMs: number; recoveryMs?: number };

export type Role = Task["role"];

/** Parent → child. */
export type ToChild =
  | { type: "init"; task: Task }
  | { type: "go" }
  | { type: "clock"; seq: number }
  | { type: "stop" };

/** What a child reports once its measured work is over. */
/** Start and end of the measured work on the monotonic clock, in µs (the clock of V8 CPU profiles). */
export type Window = [number, number];

export interface BulkResult {
  elapsedMs: number;
  window: Window;
  /** CPU time (user + system) the child used while measured. */
  cpuMs: number;
  /** Jobs waiting in the queue afterwards, counted with the library's own API. */
  waiting: number;
}
export interface LatencyProducerResult {
  /** CPU time (user + system) the producer used while sending. */
  cpuMs: number;
  /** sendStart[i]: `performance.timeOrigin + performance.now()` just before job i was sent. */
  sendStart: number[];
}
export interface DrainResult {
  elapsedMs: number;
  window: Window;
  /** CPU time (user + system) the child used while measured. */
  cpuMs: number;
  /** Handler calls (more than n would mean redeliveries). */
  processed: number;
  /** Completion events (the library has recorded the job as done). */
  completed: number;
  failed: number;
  /** Jobs left in the queue afterwards (waiting, active or kept), counted with the library's API. */
  remaining: number;
  /** The worker's RSS (MB) once connected and configured, before "go"; and when the N-th job completed. */
  rssIdleMb: number;
  rssEndMb: number;
}
export interface LatencyWorkerResult {
  /** From "started" to the last job's completion. */
  window: Window;
  /** CPU time (user + system) the worker used in that window. */
  cpuMs: number;
  /** actorStart[i]: `performance.timeOrigin + performance.now()` when job i's handler began. */
  actorStart: number[];
  completed: number;
  failed: number;
  remaining: number;
}

export interface RedeliveryWorkerResult {
  /** The job index of every handler start in this process, in order (duplicates included). */
  starts: number[];
  completed: number;
  failed: number;
  remaining: number;
}

/** A redelivery worker's job began (`start`, first line of the handler) or completed (`done`); `t` as `now()`. */
export interface JobEvent {
  type: "job";
  phase: "start" | "done";
  i: number;
  t: number;
}

/** Child → parent. */
export type FromChild =
  | { type: "ready" }
  /** A latency or redelivery worker is started (`t`: when its start call resolved, as `now()`). */
  | { type: "started"; t?: number }
  | JobEvent
  | { type: "result"; result: BulkResult | LatencyProducerResult | DrainResult | LatencyWorkerResult | RedeliveryWorkerResult }
  | { type: "clock"; seq: number; t: number }
  | { type: "error"; message: string }
  | { type: "closed" };
