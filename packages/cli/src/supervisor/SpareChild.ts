import { type ChildProcess, fork } from "node:child_process";
import path from "node:path";
import { PREFORK_ENV } from "../protocol";

const CHILD_MAIN = path.join(__dirname, "..", "child", "childMain.js");

/**
 * A child process forked before the supervisor has parsed its arguments, so that Node's
 * own start and the loading of @q/core in the child overlap with the supervisor's boot
 * (the machine has other cores). It waits, silently, for the configuration the first
 * worker process gets (an IPC `config` message); the supervisor adopts it with `take()`,
 * and `discard()` kills it when q ends without having used it (--help, a usage error).
 * It exits by itself if the supervisor goes away first.
 *
 * @example
 * const spare = SpareChild.fork();
 * const proc = spare.take(); // a live child waiting for its config, or undefined
 */
export class SpareChild {
  private constructor(private proc: ChildProcess | undefined) {}

  /** Forks a child waiting for its configuration, with the stdio the supervisor reads. */
  static fork(): SpareChild {
    return new SpareChild(
      fork(CHILD_MAIN, [], {
        env: { ...process.env, [PREFORK_ENV]: "1" },
        stdio: ["ignore", "pipe", "pipe", "ipc"],
      }),
    );
  }

  /** The child, if it is still there and reachable (once: then it is the caller's). */
  take(): ChildProcess | undefined {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null || !proc.connected) {
      proc?.kill("SIGKILL");
      return undefined;
    }
    return proc;
  }

  /** Kills the child unless it was taken. */
  discard(): void {
    this.proc?.kill("SIGKILL");
    this.proc = undefined;
  }
}
