import type { CliOptions, ModuleRef } from "./CliOptions";

/** What a child process is told to be (passed in the environment as JSON). */
export type ChildConfig =
  | { kind: "worker"; index: number; options: CliOptions; timeLimitKilled: string[] }
  | { kind: "fork"; index: number; options: CliOptions; fn: ModuleRef };

/** The environment variable that carries a child's {@link ChildConfig}. */
export const CHILD_CONFIG_ENV = "Q_CLI_CHILD";

/** Set (to "1") for a child forked ahead of time: its {@link ChildConfig} comes as a `config` message. */
export const PREFORK_ENV = "Q_CLI_PREFORK";

/** A worker process as fork processes see it (core's WorkerProcessInfo). */
export interface WorkerInfo {
  id: string;
  index: number;
  pid: number;
}

/** A fork function a worker's middleware declares (core's ForkFunctionRef). */
export interface ForkRef {
  module: string;
  exportName: string;
}

/** Messages from a child process to the supervisor (IPC). */
export type ChildMessage =
  /** `forks`: the fork functions the worker's middleware declare (worker processes). */
  | { type: "ready"; forks?: ForkRef[] }
  | { type: "bootFailed"; code: number; message: string; stack?: string }
  | { type: "heartbeat" }
  /** A message started; `deadline` is when its time limit runs out (epoch ms). */
  | { type: "started"; id: string; deadline: number; limit: number }
  | { type: "finished"; id: string }
  // Worker → fork processes, through the supervisor (core's SupervisorChannel).
  /** The answer to a `collect`; no `value` when the process has nothing for that topic. */
  | { type: "collected"; id: number; value?: unknown }
  | { type: "publish"; topic: string; value: unknown }
  // Fork → supervisor (core's ForkContext).
  | { type: "collect"; id: number; topic: string; request?: unknown; timeout: number; workers: "all" | "one" }
  | { type: "keep"; key: string; value: unknown };

/** Messages from the supervisor to a child process. */
export type SupervisorMessage =
  /** To a child forked ahead of time (PREFORK_ENV): what it is to be. */
  | { type: "config"; config: ChildConfig }
  | { type: "timeLimitKilled"; id: string }
  // To worker processes.
  | { type: "collect"; id: number; topic: string; request?: unknown }
  // To fork processes.
  | { type: "init"; kept: [string, unknown][] }
  | { type: "collected"; id: number; values: { worker: WorkerInfo; value: unknown }[] }
  | { type: "published"; topic: string; worker: WorkerInfo; value: unknown }
  | { type: "workerExit"; worker: WorkerInfo };

/** How often children tell the supervisor their event loop is alive. */
export const HEARTBEAT_INTERVAL_MS = 500;

/** The longest a fork's `collect` may wait for the worker processes. */
export const MAX_COLLECT_TIMEOUT_MS = 60_000;
