/**
 * `x-death[0].time` (the latest death, an AMQP timestamp in seconds) in ms, if present.
 *
 * @example
 * deathTime({ "x-death": [{ time: 1_700_000_000 }] }) // 1_700_000_000_000
 */
export function deathTime(headers: Record<string, unknown> | undefined): number | undefined {
  const deaths = headers?.["x-death"];
  if (!Array.isArray(deaths) || deaths.length === 0) return undefined;
  const time = (deaths[0] as { time?: unknown } | null)?.time;
  const seconds = typeof time === "number" ? time : typeof (time as { value?: unknown } | null)?.value === "number" ? (time as { value: number }).value : undefined;
  return seconds === undefined || !Number.isFinite(seconds) ? undefined : seconds * 1000;
}

