/**
 * @q/cli: the `q` command, which runs @q workers — a supervisor with worker processes,
 * Dramatiq's signals, log format and exit codes. Most users only run the binary; these
 * exports are for embedding it or checking arguments programmatically.
 */
export { main } from "./main";
export { parseArgs, type ParsedArgs } from "./parseArgs";
export type { CliOptions, ModuleRef, WatchOptions, WorkerTuning } from "./CliOptions";
export { ExitCode } from "./ExitCode";
export { CliError } from "./errors/CliError";
export { UsageError } from "./errors/UsageError";
export { ImportFailure } from "./errors/ImportFailure";
export { PidFileError } from "./errors/PidFileError";
export { isBrokerLike } from "./modules/isBrokerLike";
// Moved to @q/core (the default logger writes the same lines); still exported here.
export { formatLine } from "@q/core";
