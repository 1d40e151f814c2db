import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from "prom-client";

type Snapshot = MetricObjectWithValues<MetricValue<string>>[];

/** Exited worker ids remembered so that a late answer of theirs is not counted again. */
const MAX_EXITED = 1000;

/**
 * The sum over q's worker processes: each live process's latest snapshot (the JSON of
 * its registry), plus the counters and histograms of processes that have exited, folded
 * into one retired total when they exit. Gauges of an exited process are dropped. So a
 * restarted process neither resets what a scrape sees nor counts twice. Internal.
 */
export class ProcessTotals {
  private readonly live = new Map<string, Snapshot>();
  private readonly exited = new Set<string>();
  /** Folds run one after another: each reads the total the previous one wrote. */
  private folding: Promise<unknown> = Promise.resolve();

  constructor(private retired: Snapshot = []) {}

  /** The retired total, to keep across restarts of the process that holds this. */
  get retiredTotal(): Snapshot {
    return this.retired;
  }

  /** A worker's latest snapshot (ignored once the worker has exited). */
  update(workerId: string, snapshot: unknown): void {
    if (this.exited.has(workerId) || !Array.isArray(snapshot)) return;
    this.live.set(workerId, snapshot as Snapshot);
  }

  /** A worker exited: folds its last counters and histograms into the retired total; true if that changed it. */
  async exit(workerId: string): Promise<boolean> {
    this.exited.add(workerId);
    if (this.exited.size > MAX_EXITED) this.exited.delete(this.exited.values().next().value!);
    const last = this.live.get(workerId);
    this.live.delete(workerId);
    if (!last) return false;
    const cumulative = last.filter((m) => String(m.type) !== "gauge");
    const fold = this.folding.then(async () => {
      this.retired = (await AggregatorRegistry.aggregate([this.retired, cumulative]).getMetricsAsJSON()) as Snapshot;
    });
    this.folding = fold;
    await fold;
    return true;
  }

  /** A registry holding the sum of the retired total and every live snapshot. */
  async sum(): Promise<Registry> {
    await this.folding;
    return AggregatorRegistry.aggregate([this.retired, ...this.live.values()]);
  }
}
