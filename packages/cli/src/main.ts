import { ExitCode } from "./ExitCode";
import { CliError } from "./errors/CliError";
import { createLogger } from "@q/core/logging";
import { resolveModuleFile } from "./modules/resolveModuleFile";
import { parseArgs } from "./parseArgs";
import { INSPECT_COMMANDS, parseInspectArgs } from "./inspect/parseInspectArgs";
import { runInspect } from "./inspect/runInspect";
import { Output } from "./supervisor/Output";
import { PidFile } from "./supervisor/PidFile";
import type { SpareChild } from "./supervisor/SpareChild";
import { Supervisor } from "./supervisor/Supervisor";

/**
 * Runs `q` with these arguments (`process.argv.slice(2)`) and resolves with its exit
 * code: problems with the arguments are one `q: error: …` line on stderr (exit 2);
 * everything after boot is logged. `q queues`, `q dlq …` and `q message show` inspect a
 * broker's queues instead of running workers.
 *
 * @example
 * main(process.argv.slice(2)).then((code) => process.exit(code));
 *
 * `spare` (the `q` binary's): a child forked before this was loaded, which becomes the
 * first worker process (killed if q ends without starting one).
 */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, spare?: SpareChild): Promise<number> {
  let output: Output | undefined;
  try {
    if (INSPECT_COMMANDS.has(argv[0] ?? "")) {
      const inspect = parseInspectArgs(argv);
      if (inspect.kind === "done") return ExitCode.OK;
      return await runInspect(
        inspect,
        (text) => process.stdout.write(text),
        (text) => process.stderr.write(text),
      );
    }
    const parsed = parseArgs(argv, env);
    if (parsed.kind === "done") return ExitCode.OK;
    const { options } = parsed;
    // Fail fast, in one line, on a module name that points nowhere (imports happen in the workers).
    for (const specifier of [options.broker.specifier, ...options.modules, ...options.forkFunctions.map((f) => f.specifier)]) {
      resolveModuleFile(specifier, options.path);
    }
    output = new Output(options.logFile);
    const out = output;
    const logger = createLogger(options.log, (line) => out.err(line));
    let pidFile: PidFile | undefined;
    try {
      pidFile = options.pidFile === undefined ? undefined : PidFile.acquire(options.pidFile, logger.child({ name: "q.MainProcess" }));
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      logger.child({ name: "q.MainProcess" }).fatal(error.message);
      return error.exitCode;
    }
    return await new Supervisor(options, logger, output, pidFile, spare).run();
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    process.stderr.write(`q: error: ${usageText(error.message)}\n`);
    return error.exitCode;
  } finally {
    spare?.discard();
    output?.close();
  }
}

/** yargs' wording for a missing broker, made specific; a pointer to --help for the rest. */
function usageText(message: string): string {
  if (/^Not enough non-option arguments/.test(message)) return "name the module that makes your broker, e.g. q ./dist/broker.js (see q --help).";
  return /^(Unknown argument|Invalid values|Missing|Not enough)/.test(message) ? `${message} (see q --help)` : message;
}
