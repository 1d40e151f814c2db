/**
 * The exit codes of `q`, as Dramatiq's: any other code is a worker process's own exit
 * code, passed on by the supervisor.
 */
export const ExitCode = {
  /** Stopped gracefully. */
  OK: 0,
  /** Killed: a second INT/TERM, or a process ended by a signal. */
  KILLED: 1,
  /** Bad arguments, or a module (broker, actors, fork function) that cannot be imported or used. */
  IMPORT_OR_USAGE: 2,
  /** A worker process could not reach the broker while it booted. */
  BROKER_CONNECTION: 3,
  /** The PID file names a running process, holds garbage, or cannot be written. */
  PID_FILE: 4,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
