import fs from "node:fs";
import type { Logger } from "pino";
import { PidFileError } from "../errors/PidFileError";

/**
 * The supervisor's PID file (spec 13): written with mode 0644 when free; a file naming
 * a live process refuses the start, a stale one is replaced, one holding anything but a
 * PID aborts (all {@link PidFileError}, exit 4). Removed at exit if it is still ours.
 *
 * @example
 * const pidFile = PidFile.acquire("/run/q.pid", log);
 * // ... at exit:
 * pidFile.release();
 */
export class PidFile {
  private constructor(readonly file: string) {}

  static acquire(file: string, log: Logger): PidFile {
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = fs.openSync(file, "wx", 0o644);
        fs.writeSync(fd, String(process.pid));
        fs.closeSync(fd);
        return new PidFile(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) {
          throw new PidFileError(`Cannot write the PID file ${file}: ${(error as Error).message}`, { cause: error });
        }
      }
      const content = read(file).trim();
      if (!/^\d+$/.test(content)) {
        throw new PidFileError(`The PID file ${file} holds ${JSON.stringify(content.slice(0, 40))}, not a PID; remove it if no q is running.`);
      }
      const pid = Number(content);
      if (pid !== process.pid && isAlive(pid)) throw new PidFileError(`q is already running with PID ${pid} (PID file ${file}).`);
      log.info(`Removing the stale PID file ${file} (PID ${pid} is not running).`);
      try {
        fs.unlinkSync(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new PidFileError(`Cannot remove the stale PID file ${file}: ${(error as Error).message}`, { cause: error });
      }
    }
  }

  /** Removes the file if it still names this process. */
  release(): void {
    try {
      if (read(this.file).trim() === String(process.pid)) fs.unlinkSync(this.file);
    } catch {
      // already gone
    }
  }
}

function read(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new PidFileError(`Cannot read the PID file ${file}: ${(error as Error).message}`, { cause: error });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
