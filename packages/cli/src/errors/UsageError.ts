import { ExitCode } from "../ExitCode";
import { CliError } from "./CliError";

/** Bad command-line arguments (exit 2). */
export class UsageError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.IMPORT_OR_USAGE, options);
  }
}
