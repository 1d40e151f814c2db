import { type Broker, ConfigurationError, defaultLogger, getSupervisorChannel, type Message, type MessageProxy, Middleware, type ProcessOutcome, type SupervisorChannel } from "@q/core";
import { qName } from "@q/core/broker";
import { collectDefaultMetrics, type Counter, type Gauge, type Histogram, Registry } from "prom-client";
import { DepthCache } from "./DepthCache";
import { createMetrics, type Metrics } from "./createMetrics";
import { expositionSettings } from "./expositionSettings";
import type { MetricsServer } from "./MetricsServer";
import type { PrometheusOptions } from "./PrometheusOptions";
import { readQueueDepths } from "./readQueueDepths";
import { startMetricsServer } from "./startMetricsServer";
import { type Request, TOPIC, type WorkerSettings } from "./topic";

type Labels = "queue_name" | "actor_name";

/** One (queue, actor) pair's metric children, made once: `labels()` hashes its arguments on every call. */
interface Series {
  messages: ReturnType<Counter<Labels>["labels"]>;
  errors: ReturnType<Counter<Labels>["labels"]>;
  retries: ReturnType<Counter<Labels>["labels"]>;
  rejects: ReturnType<Counter<Labels>["labels"]>;
  inProgress: ReturnType<Gauge<Labels>["labels"]>;
  delayed: ReturnType<Gauge<Labels>["labels"]>;
  duration: ReturnType<Histogram<Labels>["labels"]>;
}

/**
 * Dramatiq's Prometheus middleware on prom-client: the seven `dramatiq_*` metrics with
 * Dramatiq's names, types, labels (`queue_name`, `actor_name`), HELP texts and buckets, so
 * Grafana dashboard 3692 and existing alerts work unchanged, plus per-queue depth gauges
 * read from the broker at scrape time. Under `q`, one exposition server (a fork process the
 * middleware declares) serves the sum of every worker process; a Worker you run yourself
 * serves with {@link Prometheus.serve}.
 *
 * Differences from Dramatiq: `queue_name` is always the canonical queue (never `.DQ`), so
 * the delayed gauge goes up and down on the same series; a retry counts once; the delayed
 * gauge has no `pid` label (it is summed over processes).
 *
 * @example
 * const broker = new RedisBroker({ url: process.env.REDIS_URL });
 * broker.addMiddleware(new Prometheus());   // q serves http://0.0.0.0:9191/
 */
export class Prometheus extends Middleware {
  /** The registry the seven metrics (and the process metrics, if asked) are on. */
  readonly registry: Registry;
  override readonly forks = [{ module: require.resolve("./runExpositionServer"), exportName: "runExpositionServer" }];
  private readonly metrics: Metrics;
  private readonly series = new Map<string, Series>();
  private readonly started = new WeakMap<MessageProxy, number>();
  /** Parked delayed messages: id → the series their gauge was raised on. */
  private readonly delayedMessages = new Map<string, Series>();
  private readonly options: Required<Omit<PrometheusOptions, "registry" | "host" | "port">> & Pick<PrometheusOptions, "host" | "port">;
  private broker: Broker | undefined;
  private channel: SupervisorChannel | undefined;

  constructor(options: PrometheusOptions = {}) {
    super();
    const { host, port, queueDepth = true, depthTimeout = 500, depthMaxAge = 60_000, processMetrics = false } = options;
    if (typeof queueDepth !== "boolean") throw new ConfigurationError(`Prometheus: queueDepth must be true or false, got ${JSON.stringify(queueDepth)}.`);
    if (typeof processMetrics !== "boolean") throw new ConfigurationError(`Prometheus: processMetrics must be true or false, got ${JSON.stringify(processMetrics)}.`);
    for (const [name, value] of [["depthTimeout", depthTimeout], ["depthMaxAge", depthMaxAge]] as const) {
      if (!Number.isFinite(value) || value < 0) throw new ConfigurationError(`Prometheus: ${name} must be a number of milliseconds >= 0, got ${JSON.stringify(value)}.`);
    }
    expositionSettings({ host, port }); // checks the values (and the environment's) now, not at the first scrape
    this.options = { host, port, queueDepth, depthTimeout, depthMaxAge, processMetrics };
    this.registry = options.registry ?? new Registry();
    this.metrics = createMetrics(this.registry);
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Serves the metrics of this process (and its broker's queue depth) over HTTP, for a
   * Worker you run yourself; under `q` the middleware's fork process serves instead.
   * Host and port: the arguments, else the middleware's options, else the environment.
   */
  async serve(options: { host?: string; port?: number } = {}): Promise<MetricsServer> {
    const settings = expositionSettings({ host: options.host ?? this.options.host, port: options.port ?? this.options.port });
    const depth = new DepthCache(this.options.depthMaxAge);
    const render = async () => (await this.registry.metrics()) + (await depth.render(await this.readDepth()));
    return startMetricsServer(settings, render, (this.broker?.rootLogger ?? defaultLogger()).child({ name: "q.Prometheus" }));
  }

  override afterProcessBoot(broker: Broker): void {
    this.attach(broker);
  }

  override beforeWorkerBoot(broker: Broker): void {
    this.attach(broker);
  }

  // The broker whose queue depth serve() reads, before any worker boots.
  override afterDeclareQueue(broker: Broker): void {
    this.broker ??= broker;
  }

  override async afterWorkerShutdown(): Promise<void> {
    // The final numbers: the exposition fork folds them in once this process exits.
    await this.channel?.publish(TOPIC, await this.registry.getMetricsAsJSON());
  }

  override afterNack(_broker: Broker, message: MessageProxy): void {
    this.seriesOf(message.queueName, message.actorName).rejects.inc();
  }

  override afterEnqueue(_broker: Broker, message: Message, delay: number | undefined): void {
    const parked = this.delayedMessages.get(message.messageId);
    if (parked && delay === undefined) {
      // A parked message moved to its queue: it has left this process's memory.
      this.delayedMessages.delete(message.messageId);
      parked.delayed.dec();
      return;
    }
    // Retries always enqueue with a delay; the later move back to the queue has none and is not a retry.
    if (delay !== undefined && "retries" in message.options) this.seriesOf(message.queueName, message.actorName).retries.inc();
  }

  override beforeDelayMessage(_broker: Broker, message: MessageProxy): void {
    const series = this.seriesOf(message.queueName, message.actorName);
    if (!this.delayedMessages.has(message.messageId)) series.delayed.inc();
    this.delayedMessages.set(message.messageId, series);
  }

  override beforeProcessMessage(_broker: Broker, message: MessageProxy): void {
    const series = this.seriesOf(message.queueName, message.actorName);
    const parked = this.delayedMessages.get(message.messageId);
    if (parked) {
      this.delayedMessages.delete(message.messageId);
      parked.delayed.dec();
    }
    series.inProgress.inc();
    this.started.set(message, performance.now());
  }

  override afterProcessMessage(_broker: Broker, message: MessageProxy, outcome: ProcessOutcome): void {
    const series = this.finish(message);
    if (outcome.exception !== undefined && outcome.exception !== null) series.errors.inc();
  }

  override afterSkipMessage(_broker: Broker, message: MessageProxy): void {
    this.finish(message);
  }

  private finish(message: MessageProxy): Series {
    const series = this.seriesOf(message.queueName, message.actorName);
    const start = this.started.get(message);
    // Only a message this middleware saw start: a skip by an earlier middleware never raised the gauge.
    if (start !== undefined) {
      this.started.delete(message);
      series.duration.observe(performance.now() - start);
      series.inProgress.dec();
    }
    series.messages.inc();
    return series;
  }

  private seriesOf(queueName: string, actorName: string): Series {
    const queue = qName(queueName);
    const key = `${queue}\0${actorName}`;
    let series = this.series.get(key);
    if (!series) {
      const m = this.metrics;
      series = {
        messages: m.messages.labels(queue, actorName),
        errors: m.errors.labels(queue, actorName),
        retries: m.retries.labels(queue, actorName),
        rejects: m.rejects.labels(queue, actorName),
        inProgress: m.inProgress.labels(queue, actorName),
        delayed: m.delayed.labels(queue, actorName),
        duration: m.duration.labels(queue, actorName),
      };
      this.series.set(key, series);
    }
    return series;
  }

  private attach(broker: Broker): void {
    this.broker = broker;
    const channel = getSupervisorChannel();
    if (!channel || channel === this.channel) return;
    this.channel = channel;
    channel.onCollect(TOPIC, (request) => this.answer(request as Request));
  }

  private async answer(request: Request): Promise<unknown> {
    switch (request?.kind) {
      case "metrics":
        return this.registry.getMetricsAsJSON();
      case "depth":
        return this.readDepth();
      case "settings": {
        const { host, port } = expositionSettings({ host: this.options.host, port: this.options.port });
        const { queueDepth, depthTimeout, depthMaxAge } = this.options;
        return { host, port, queueDepth, depthTimeout, depthMaxAge } satisfies WorkerSettings;
      }
      default:
        return undefined;
    }
  }

  private readDepth() {
    return this.options.queueDepth && this.broker ? readQueueDepths(this.broker, this.options.depthTimeout) : Promise.resolve([]);
  }
}
