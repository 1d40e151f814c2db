import { ExitCode } from "../ExitCode";
import { CliError } from "./CliError";

/** A module that cannot be found or imported, or does not export what was asked (exit 2). */
export class ImportFailure extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.IMPORT_OR_USAGE, options);
  }
}
