/**
 * How big a run is. The CI-sized run (the default; `.ci/run` runs it) keeps each fault but
 * with fewer messages; `pnpm chaos` sets CHAOS_SCALE=full for the sizes the guarantees in
 * docs/reliability.md are stated for.
 */
export const FULL = process.env.CHAOS_SCALE === "full";

export const SCALE = {
  /** Messages per kill / restart / connection-drop run. */
  messages: FULL ? 20_000 : 2_000,
  /** How many times worker children are SIGKILLed in one run. */
  kills: FULL ? 5 : 2,
  /** Messages queued (and sent) in the backpressure runs. */
  backpressure: FULL ? 200_000 : 20_000,
} as const;
