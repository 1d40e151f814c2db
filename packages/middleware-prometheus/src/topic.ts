/** The SupervisorChannel topic and ForkContext keys of this package. Internal. */
export const TOPIC = "@q/middleware-prometheus";
export const RETIRED_KEY = `${TOPIC}:retired`;

/** What the exposition fork asks a worker process. */
export type Request = { kind: "metrics" } | { kind: "depth" } | { kind: "settings" };

/** A worker's answer to `settings`. */
export interface WorkerSettings {
  host: string;
  port: number;
  queueDepth: boolean;
  depthTimeout: number;
  depthMaxAge: number;
}

/** How long a scrape waits for the worker processes' metrics; slower ones serve their last. */
export const METRICS_COLLECT_TIMEOUT_MS = 1000;
