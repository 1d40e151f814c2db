/**
 * Wall-clock milliseconds with sub-millisecond resolution that are comparable between
 * processes on one machine: `performance.timeOrigin` (the process start, as wall-clock
 * time) plus the monotonic `performance.now()`.
 */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** The monotonic clock in µs: what V8 CPU profiles (`--cpu-prof`) time their samples with. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
