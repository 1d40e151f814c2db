import type { CliOptions, ModuleRef } from "./CliOptions";

/** What a child process is told to be (passed in the environment as JSON). */
export type ChildConfig =
  | { kind: "worker"; index: number; options: CliOptions; timeLimitKilled: string[] }
  | { kind: "fork"; index: number; options: CliOptions; fn: ModuleRef };

/** The environment variable that carries a child's {@link ChildConfig}. */
export const CHILD_CONFIG_ENV = "Q_CLI_CHILD";

/** Messages from a child process to the supervisor (IPC). */
export type ChildMessage =
  | { type: "ready" }
  | { type: "bootFailed"; code: number; message: string; stack?: string }
  | { type: "heartbeat" }
  /** A message started; `deadline` is when its time limit runs out (epoch ms). */
  | { type: "started"; id: string; deadline: number; limit: number }
  | { type: "finished"; id: string };

/** Messages from the supervisor to a worker process. */
export type SupervisorMessage = { type: "timeLimitKilled"; id: string };

/** How often children tell the supervisor their event loop is alive. */
export const HEARTBEAT_INTERVAL_MS = 500;
