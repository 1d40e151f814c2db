/** A prepared publisher or consumer: connected before the clock starts. */
export interface Prepared {
  /** The measured work; resolves when it is done (all published / all N handled). */
  run(): Promise<number>;
  close(): Promise<void>;
  /** Drains: the resident set (MB) when the N-th message was acked. */
  readonly rssEndMb?: number;
}

/** The process's resident set size in MB. */
export function rssMb(): number {
  return process.memoryUsage.rss() / 2 ** 20;
}
