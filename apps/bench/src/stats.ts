/** Small statistics helpers (no dependencies, deterministic). */

/** The median of some numbers (mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The `p`-th percentile (0–100) of sorted values, nearest-rank method: the smallest
 * value such that at least p% of the values are ≤ it. NaN for no values.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (p <= 0) return sorted[0]!;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

/** Latency summary in milliseconds. */
export interface LatencyStats {
  samples: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function latencyStats(valuesMs: readonly number[]): LatencyStats {
  const sorted = [...valuesMs].sort((a, b) => a - b);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    samples: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

/** Field-wise median of several latency summaries (each statistic on its own). */
export function medianLatency(runs: readonly LatencyStats[]): LatencyStats {
  const pick = (k: keyof LatencyStats) => median(runs.map((r) => r[k]));
  return { samples: pick("samples"), p50: pick("p50"), p90: pick("p90"), p99: pick("p99"), max: pick("max"), mean: pick("mean") };
}
