import type { LogSettings } from "@q/core";

/** A module named on the command line, with the export to use (`module:a.b`). */
export interface ModuleRef {
  /** As given: a path (relative to a `--path` directory) or a package specifier. */
  specifier: string;
  /** Dotted export path after the colon, if any. */
  exportPath?: string;
}

/** What to watch for `--watch`. */
export interface WatchOptions {
  dir: string;
  polling: boolean;
  /** Milliseconds between scans in polling mode. */
  pollInterval: number;
  include: string[];
  exclude: string[];
}

/** Worker settings from the environment (spec 14). */
export interface WorkerTuning {
  prefetch?: number;
  delayPrefetch?: number;
  timeout?: number;
  restartDelay?: number;
}

/** Everything `q` was asked to do, parsed and checked. */
export interface CliOptions {
  broker: ModuleRef;
  modules: string[];
  processes: number;
  threads: number;
  /** Absolute directories modules are looked up from, in order. */
  path: string[];
  queues?: string[];
  pidFile?: string;
  logFile?: string;
  skipLogging: boolean;
  /** How the q processes write their log lines. */
  log: Required<LogSettings>;
  /** Verbose: include stacks in error lines. */
  verbose: boolean;
  workerShutdownTimeout: number;
  watch?: WatchOptions;
  forkFunctions: ModuleRef[];
  tuning: WorkerTuning;
}
