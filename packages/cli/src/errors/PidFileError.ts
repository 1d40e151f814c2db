import { ExitCode } from "../ExitCode";
import { CliError } from "./CliError";

/** The PID file names a live process, holds garbage or cannot be written (exit 4). */
export class PidFileError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.PID_FILE, options);
  }
}
