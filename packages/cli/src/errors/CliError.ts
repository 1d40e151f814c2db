import { QError } from "@q/core/errors";
import { ExitCode } from "../ExitCode";

/**
 * A problem `q` reports in one line and exits on, with the exit code it implies.
 *
 * @example
 * throw new CliError("Unknown argument: --bogus", ExitCode.IMPORT_OR_USAGE);
 */
export class CliError extends QError {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
