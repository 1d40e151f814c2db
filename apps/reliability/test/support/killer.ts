import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** The pids of `pid`'s child processes (q's worker processes, for a supervisor). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Waits until `pid` has `count` children, none of them in `not`; returns them. */
export async function waitForChildren(pid: number, count: number, not: readonly number[] = [], timeout = 20_000): Promise<number[]> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const pids = childPids(pid);
    if (pids.length === count && pids.every((p) => !not.includes(p))) return pids;
    if (Date.now() > deadline) throw new Error(`Process ${pid} has children ${pids.join(", ") || "none"}, not ${count} new ones, after ${timeout} ms.`);
    await sleep(50);
  }
}

/** Whether `pid` is still running. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
