import { readFileSync } from "node:fs";

export interface RssSummary {
  /** MiB at the first sample. */
  readonly start: number;
  /** MiB when the warm-up ended (see {@link RssSampler.markWarm}). */
  readonly warm: number;
  /** Highest MiB after the warm-up. */
  readonly peak: number;
  /** MiB at the last sample. */
  readonly end: number;
  readonly samples: number;
}

/** VmRSS of `pid` in MiB (undefined once the process is gone). */
export function rssMiB(pid: number): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8")
      .split("\n")
      .find((l) => l.startsWith("VmRSS:"));
    return line ? Number(line.split(/\s+/)[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Samples a process's resident set size (/proc/<pid>/status VmRSS) every `intervalMs`
 * (250 by default) until stopped; `markWarm()` ends the warm-up, after which the peak counts.
 *
 * @example
 * const rss = RssSampler.start(q.pid);
 * await sleep(2000); rss.markWarm();
 * ...; const { warm, peak } = rss.stop();
 */
export class RssSampler {
  private readonly series: number[] = [];
  private warmIndex: number | undefined;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    readonly pid: number,
    intervalMs: number,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  static start(pid: number, intervalMs = 250): RssSampler {
    return new RssSampler(pid, intervalMs);
  }

  /** The warm-up is over: the current reading is the baseline. */
  markWarm(): void {
    this.sample();
    this.warmIndex = this.series.length - 1;
  }

  stop(): RssSummary {
    clearInterval(this.timer);
    this.sample();
    const s = this.series;
    if (s.length === 0) throw new Error(`No RSS sample of process ${this.pid}.`);
    const w = this.warmIndex ?? 0;
    const round = (x: number) => Math.round(x * 10) / 10;
    return { start: round(s[0]!), warm: round(s[w]!), peak: round(Math.max(...s.slice(w))), end: round(s[s.length - 1]!), samples: s.length };
  }

  private sample(): void {
    const mib = rssMiB(this.pid);
    if (mib !== undefined) this.series.push(mib);
  }
}
