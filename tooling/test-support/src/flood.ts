import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";

/** What {@link flood} saw. `settled` resolves once every send has resolved or rejected. */
export interface Flood {
  /** Sends made. */
  readonly sent: number;
  /** The largest heap growth (after a full GC) seen while sending, in bytes. */
  readonly peakHeapGrowth: number;
  /**
   * Once every send has settled: how many resolved, and how many rejected by the kind
   * `kind` gave their errors (errors are counted, not kept: millions would fill the heap).
   */
  settled(): Promise<{ resolved: number; rejected: Record<string, number> }>;
}

/**
 * Sends as fast as the event loop allows for `ms` (200 sends per turn, none awaited), as a
 * producer that ignores backpressure would, and samples the heap after a full GC every two
 * seconds: what an outage test needs to show memory stays bounded. Bounded in time.
 *
 * @example
 * const run = await flood((n) => job.send(n), 20_000, (e) => (e as Error).name);
 * const { resolved, rejected } = await run.settled(); // e.g. { ConnectionClosed: 981234 }
 */
export async function flood(send: (n: number) => Promise<unknown>, ms: number, kind: (error: unknown) => string): Promise<Flood> {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const heap = () => {
    gc();
    return process.memoryUsage().heapUsed;
  };
  const before = heap();
  let sent = 0;
  let resolved = 0;
  let peak = 0;
  const rejected: Record<string, number> = {};
  const pending = new Set<Promise<unknown>>();
  const until = Date.now() + ms;
  let sampled = 0;
  while (Date.now() < until) {
    for (let i = 0; i < 200; i++) {
      const p: Promise<unknown> = send(sent++).then(
        () => resolved++,
        (error: unknown) => {
          const k = kind(error);
          rejected[k] = (rejected[k] ?? 0) + 1;
        },
      );
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
    await new Promise((r) => setImmediate(r));
    if (Date.now() - sampled > 2000) {
      sampled = Date.now();
      peak = Math.max(peak, heap() - before);
    }
  }
  peak = Math.max(peak, heap() - before);
  return {
    sent,
    peakHeapGrowth: peak,
    settled: async () => {
      await Promise.all(pending);
      return { resolved, rejected };
    },
  };
}
