import fs from "node:fs";
import { UsageError } from "../errors/UsageError";

/**
 * Where everything q prints ends up: its own and its children's log lines (stderr)
 * and what actors print (stdout), or all of it appended to `--log-file`. Writes are
 * whole lines and synchronous, so lines from different processes never interleave.
 */
export class Output {
  private readonly fd: number | undefined;

  constructor(logFile?: string) {
    if (logFile === undefined) return;
    try {
      this.fd = fs.openSync(logFile, "a", 0o644);
    } catch (error) {
      throw new UsageError(`Cannot open the log file ${logFile}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Log lines. */
  err(text: string): void {
    if (this.fd === undefined) process.stderr.write(text);
    else fs.writeSync(this.fd, text);
  }

  /** What children print on stdout. */
  out(text: string): void {
    if (this.fd === undefined) process.stdout.write(text);
    else fs.writeSync(this.fd, text);
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
  }
}
