/**
 * @q/middleware-prometheus: Dramatiq's Prometheus metrics for @q workers, served on one
 * endpoint for every `q` worker process, with per-queue depth gauges.
 */
export { Prometheus } from "./Prometheus";
export type { PrometheusOptions } from "./PrometheusOptions";
export type { MetricsServer } from "./MetricsServer";
export { runExpositionServer } from "./runExpositionServer";
