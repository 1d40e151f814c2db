import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import yargs from "yargs";
import type { CliOptions, WorkerTuning } from "./CliOptions";
import { UsageError } from "./errors/UsageError";
import { splitModuleRef } from "./splitModuleRef";
import { version } from "./version";
import { compileGlobs } from "./watch/compileGlobs";

/** What the command line asks for: a run, or nothing more (help or version was printed). */
export type ParsedArgs = { kind: "run"; options: CliOptions } | { kind: "done" };

const EPILOGUE = `Inspecting and repairing queues: q queues <broker>, q dlq list|requeue|purge <broker> <queue>, q message show <broker> <id> (each with --help and --json).

Exit codes: 0 stopped gracefully, 1 killed (second INT/TERM), 2 bad arguments or a module that cannot be imported, 3 a worker could not reach the broker at boot, 4 PID file problem.

Signals to this (the supervisor's) process: INT or TERM stops gracefully (running messages get --worker-shutdown-timeout, prefetched ones go back to the broker); a second INT or TERM kills at once; HUP reloads the worker processes with fresh code without dropping messages.

TypeScript: Node 20 cannot import .ts files by itself; run with a loader, e.g. NODE_OPTIONS="--import tsx" q ./src/broker.ts (or compile first). ESM and CommonJS modules both work.

Environment: Q_QUEUE_PREFETCH, Q_DELAY_QUEUE_PREFETCH, Q_WORKER_TIMEOUT (ms), Q_RESTART_DELAY (ms) tune the workers (Dramatiq's dramatiq_* names work too); LOG_LEVEL sets the level when -v is not given, Q_LOG_FORMAT the format when --log-format is not.`;

/**
 * Parses `q`'s command line (without `node` and the script: `process.argv.slice(2)`).
 * Prints help or the version itself; throws {@link UsageError} on bad arguments.
 *
 * @example
 * const parsed = parseArgs(["./dist/broker.js", "-p", "2"], process.env);
 */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ParsedArgs {
  const parser = yargs([...argv])
    .scriptName("q")
    .usage(
      "Usage: $0 <broker> [modules..]\n\nRuns @q workers: a supervisor process and --processes worker processes, each importing <broker> (and [modules..]) and running the actors they declare.",
    )
    .command("$0 <broker> [modules..]", false, (y) =>
      y
        .positional("broker", {
          type: "string",
          describe:
            "The module that makes the broker, e.g. ./dist/broker.js or my-app/broker; add :name to use that export (dotted paths work). Without one, q uses the `broker` export, the default export, or the broker given to setBroker(). An exported function is called to set up the broker.",
        })
        .positional("modules", { type: "string", array: true, describe: "More modules each worker process imports (where your actors are declared)." }),
    )
    .options({
      processes: { alias: "p", type: "number", default: defaultProcesses(), defaultDescription: "CPU count", describe: "Worker processes to run." },
      threads: {
        alias: "t",
        type: "number",
        default: 8,
        describe:
          "Messages each worker process runs at once (Dramatiq's worker threads). Node runs them as concurrent async calls on one event loop, not OS threads: I/O-bound actors overlap, CPU-bound ones take turns, so use more --processes for CPU-heavy work.",
      },
      path: { alias: "P", type: "string", array: true, default: ["."], describe: "Directories the modules are looked up from, in order." },
      queues: { alias: "Q", type: "string", array: true, describe: "Consume only these queues (default: every queue with a declared actor)." },
      "pid-file": { type: "string", describe: "Write the supervisor's PID here; refuse to start if it names a running process." },
      "log-file": { type: "string", describe: "Append all output (logs and what actors print) to this file instead of stderr/stdout." },
      "log-format": { type: "string", choices: ["text", "json"], describe: "text: Dramatiq's log line format; json: pino's JSON lines (default: Q_LOG_FORMAT, else text)." },
      "skip-logging": { type: "boolean", default: false, describe: "Leave logging to your code: brokers made without { logger } keep @q's default logger." },
      "worker-shutdown-timeout": { type: "number", default: 600_000, describe: "Milliseconds running messages get to finish on a graceful stop." },
      watch: { type: "string", describe: "Reload the workers when source files under this directory change (for development)." },
      "watch-use-polling": { type: "boolean", default: false, describe: "Scan for changes instead of using file-system events (network or container file systems)." },
      "watch-include": {
        alias: "i",
        type: "string",
        array: true,
        default: ["**/*.{js,mjs,cjs,ts,mts,cts,json}"],
        describe:
          "Glob of files that trigger a reload, relative to the watched directory (repeatable; replaces the default). A glob without / matches base names at any depth; !glob takes files back out; dotfiles only match globs that name the dot.",
      },
      "watch-exclude": {
        alias: "x",
        type: "string",
        array: true,
        default: [] as string[],
        describe: "Glob of files that never trigger a reload (repeatable; node_modules and .git are always skipped).",
      },
      "fork-function": { alias: "f", type: "string", array: true, default: [] as string[], describe: "Run module:function in an extra process of its own (repeatable), e.g. a metrics server." },
      verbose: { alias: "v", type: "count", describe: "Log at debug level, with stacks." },
    })
    .epilogue(EPILOGUE)
    .example("$0 ./dist/broker.js ./dist/tasks.js", "import the broker, then the actors, in every worker process")
    .example("$0 ./dist/app.js:queue.broker -p 2 -t 16 -Q emails", "2 processes, 16 messages at a time each, only the emails queue")
    .example('NODE_OPTIONS="--import tsx" $0 ./src/broker.ts --watch src', "TypeScript sources, reloaded on change")
    .version(version)
    .alias("help", "h")
    .strict()
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, error) => {
      throw new UsageError(message ?? error?.message ?? "invalid arguments", { cause: error });
    });

  const args = parser.parseSync();
  if (args.help || args.version) return { kind: "done" };

  const count = (name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${String(value)}.`);
    return value;
  };
  const watchDir = args.watch === undefined ? undefined : path.resolve(cwd, args.watch);
  if (watchDir !== undefined && !isDirectory(watchDir)) throw new UsageError(`--watch: ${args.watch} is not a directory.`);
  for (const flag of ["watch-include", "watch-exclude"] as const) {
    try {
      compileGlobs(args[flag]);
    } catch (error) {
      throw new UsageError(`--${flag}: ${(error as Error).message}`, { cause: error });
    }
  }
  const verbose = (args.verbose ?? 0) > 0;

  return {
    kind: "run",
    options: {
      broker: splitModuleRef(String(args.broker)),
      modules: ((args.modules as unknown[] | undefined) ?? []).map(String),
      processes: count("processes", args.processes, 1, 1024),
      threads: count("threads", args.threads, 1, 65535),
      path: args.path.map((p) => path.resolve(cwd, p)),
      queues: args.queues?.length ? args.queues : undefined,
      pidFile: args["pid-file"] === undefined ? undefined : path.resolve(cwd, args["pid-file"]),
      logFile: args["log-file"] === undefined ? undefined : path.resolve(cwd, args["log-file"]),
      skipLogging: args["skip-logging"],
      log: { format: logFormat(args["log-format"], env), level: verbose ? "debug" : (env.LOG_LEVEL ?? "info") },
      verbose,
      workerShutdownTimeout: count("worker-shutdown-timeout", args["worker-shutdown-timeout"], 0, 2 ** 31 - 1),
      watch:
        watchDir === undefined
          ? undefined
          : { dir: watchDir, polling: args["watch-use-polling"], pollInterval: 1000, include: args["watch-include"], exclude: args["watch-exclude"] },
      forkFunctions: args["fork-function"].map((f) => {
        const ref = splitModuleRef(f);
        if (!ref.exportPath) throw new UsageError(`--fork-function takes module:function, got ${JSON.stringify(f)}.`);
        return ref;
      }),
      tuning: readTuning(env),
    },
  };
}

function defaultProcesses(): number {
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** Spec 14: the worker's tuning variables, under @q's names or Dramatiq's. */
/** The flag wins; else Q_LOG_FORMAT, the variable @q's default logger reads outside `q`. */
function logFormat(flag: string | undefined, env: NodeJS.ProcessEnv): "text" | "json" {
  if (flag !== undefined) return flag as "text" | "json";
  const text = env.Q_LOG_FORMAT;
  if (text === undefined || text === "") return "text";
  if (text !== "text" && text !== "json") throw new UsageError(`Q_LOG_FORMAT must be "text" or "json", got ${JSON.stringify(text)}.`);
  return text;
}

function readTuning(env: NodeJS.ProcessEnv): WorkerTuning {
  const read = (name: string, dramatiqName: string, min: number, max: number): number | undefined => {
    const text = env[name] ?? env[dramatiqName];
    if (text === undefined || text === "") return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new UsageError(`${env[name] !== undefined ? name : dramatiqName} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}.`);
    }
    return value;
  };
  return {
    prefetch: read("Q_QUEUE_PREFETCH", "dramatiq_queue_prefetch", 1, 65535),
    delayPrefetch: read("Q_DELAY_QUEUE_PREFETCH", "dramatiq_delay_queue_prefetch", 1, 65535),
    timeout: read("Q_WORKER_TIMEOUT", "dramatiq_worker_timeout", 1, 2 ** 31 - 1),
    restartDelay: read("Q_RESTART_DELAY", "dramatiq_restart_delay", 0, 2 ** 31 - 1),
  };
}
