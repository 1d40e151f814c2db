import type { Lib } from "./protocol";

/**
 * Which setting of each library decides how soon a SIGKILLed worker's job runs again, with
 * its default, and what `--redelivery-timeout` sets it to instead. Text only: the harness
 * prints it in the report without loading any library.
 */
export function redeliverySetting(lib: Lib, recoveryMs: number | undefined): string {
  const value = (fallback: number) => (recoveryMs === undefined ? `${fallback} ms (default)` : `${recoveryMs} ms (lowered)`);
  switch (lib) {
    case "q":
    case "q-prom":
      return `heartbeatTimeout ${value(60_000)}, checked every maintenanceInterval 1000 ms`;
    case "bullmq":
      return `lockDuration and stalledInterval ${value(30_000)}`;
    case "bee-queue":
      return `stallInterval ${value(5000)}, checkStalledJobs every stallInterval`;
    case "ioredis-raw":
      return "no recovery";
  }
}
