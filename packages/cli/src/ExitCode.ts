/**
 * The exit codes of `q`, as Dramatiq's: any other code is a worker process's own exit
 * code, passed on by the supervisor. The inspection commands (`q queues`, `q dlq`,
 * `q message`) use 0, 1 (not found), 2, 3 (broker unreachable) and 5 (unsupported).
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
  /** Inspection commands (`q dlq`, `q message`): the message is not where the command said. */
  NOT_FOUND: 1,
  /** Inspection commands: the broker cannot do this (e.g. list a live RabbitMQ queue). */
  UNSUPPORTED: 5,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
