/**
 * Exponential backoff as Dramatiq computes it: `factor × 2^min(attempts, maxExponent)`,
 * with jitter ×U(1,2); past `maxBackoff` it becomes `maxBackoff × U(0.5,1)` (jittered)
 * or `maxBackoff` (not jittered). Milliseconds, an integer.
 *
 * @example
 * computeBackoff(0, { factor: 15_000 }) // 15000..30000
 */
export function computeBackoff(
  attempts: number,
  options: { factor?: number; jitter?: boolean; maxBackoff?: number; maxExponent?: number; random?: () => number } = {},
): number {
  const { factor = 5, jitter = true, maxBackoff = 2000, maxExponent = 32, random = Math.random } = options;
  let backoff = factor * 2 ** Math.min(attempts, maxExponent);
  if (jitter) backoff = Math.trunc(backoff * (1 + random()));
  if (backoff > maxBackoff) backoff = jitter ? Math.trunc(maxBackoff * (0.5 + random() / 2)) : maxBackoff;
  return backoff;
}
