import { ConfigurationError, defaultLogger, type ForkContext } from "@q/core";
import type { MetricObjectWithValues, MetricValue } from "prom-client";
import { DepthCache } from "./DepthCache";
import { expositionSettings } from "./expositionSettings";
import { ProcessTotals } from "./ProcessTotals";
import type { QueueDepthSample } from "./readQueueDepths";
import { startMetricsServer } from "./startMetricsServer";
import { METRICS_COLLECT_TIMEOUT_MS, RETIRED_KEY, TOPIC, type WorkerSettings } from "./topic";

/** How long the fork waits for a worker to tell it the middleware's settings. */
const SETTINGS_TIMEOUT_MS = 5000;

/**
 * The fork function the {@link Prometheus} middleware declares: `q` runs it in a process
 * of its own. It serves, on one port, the sum of every worker process's metrics (asked
 * for at each scrape; a process too slow to answer serves its last numbers), with the
 * counters of exited processes kept in the supervisor, and the queue depth read by one
 * worker. Returns the function that stops the server.
 *
 * @example
 * // Started for you by q; by hand: q ./broker.js --fork-function @q/middleware-prometheus:runExpositionServer
 */
export async function runExpositionServer(context?: ForkContext): Promise<() => Promise<void>> {
  if (!context || typeof context.collect !== "function") {
    throw new ConfigurationError("runExpositionServer runs in a fork process of the q command; in a process of your own use prometheus.serve().");
  }
  const logger = defaultLogger().child({ name: "q.Prometheus" });
  const [answer] = await context.collect(TOPIC, { request: { kind: "settings" }, timeout: SETTINGS_TIMEOUT_MS, workers: "one" });
  const given = (answer?.value ?? {}) as Partial<WorkerSettings>;
  const settings = expositionSettings({ host: given.host, port: given.port });
  const queueDepth = given.queueDepth ?? true;
  const depthTimeout = given.depthTimeout ?? 500;

  const totals = new ProcessTotals((context.kept(RETIRED_KEY) as MetricObjectWithValues<MetricValue<string>>[] | undefined) ?? []);
  context.onPublish(TOPIC, ({ worker, value }) => totals.update(worker.id, value));
  context.onWorkerExit((worker) => {
    totals.exit(worker.id).then(
      (changed) => changed && context.keep(RETIRED_KEY, totals.retiredTotal),
      (err: unknown) => logger.error({ err }, `Could not fold the metrics of exited worker process ${worker.pid}.`),
    );
  });
  const depth = new DepthCache(given.depthMaxAge ?? 60_000);

  const render = async () => {
    const [answers, depthAnswers] = await Promise.all([
      context.collect(TOPIC, { request: { kind: "metrics" }, timeout: METRICS_COLLECT_TIMEOUT_MS }),
      queueDepth ? context.collect(TOPIC, { request: { kind: "depth" }, timeout: depthTimeout + 250, workers: "one" }) : Promise.resolve([]),
    ]);
    for (const { worker, value } of answers) totals.update(worker.id, value);
    const sum = await totals.sum();
    return (await sum.metrics()) + (await depth.render((depthAnswers[0]?.value as QueueDepthSample[] | undefined) ?? []));
  };
  const server = await startMetricsServer(settings, render, logger);
  return () => server.close();
}
