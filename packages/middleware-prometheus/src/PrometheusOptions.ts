import type { Registry } from "prom-client";

/** Options of {@link Prometheus}; every one has a default. */
export interface PrometheusOptions {
  /** Where the exposition server listens; default `dramatiq_prom_host` from the environment, else `0.0.0.0`. */
  host?: string;
  /** Its port; default `dramatiq_prom_port` from the environment, else `9191`. 0 picks a free one. */
  port?: number;
  /** Serve per-queue depth gauges read from the broker at scrape time (`q_queue_*`); default true. */
  queueDepth?: boolean;
  /** Milliseconds a scrape waits for the queue depth reads; a slower queue serves its last value. Default 500. */
  depthTimeout?: number;
  /** Milliseconds a last queue depth value may be served when fresh reads fail; after that the queue is left out. Default 60000. */
  depthMaxAge?: number;
  /** Also export Node's default process metrics (prom-client's `collectDefaultMetrics`); default false. */
  processMetrics?: boolean;
  /** The registry the metrics go to; default a fresh one (not prom-client's global registry). */
  registry?: Registry;
}
