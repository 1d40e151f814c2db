import yargs from "yargs";
import type { ModuleRef } from "../CliOptions";
import { UsageError } from "../errors/UsageError";
import { splitModuleRef } from "../splitModuleRef";

export { INSPECT_COMMANDS } from "./inspectCommands";

/** One inspection command, parsed. */
export type InspectCommand =
  | { kind: "queues"; include: string[] }
  | { kind: "dlq-list"; queue?: string; limit: number; cursor?: string }
  | { kind: "dlq-requeue"; queue: string; ids: string[]; all: boolean }
  | { kind: "dlq-purge"; queue: string }
  | { kind: "message-show"; id: string; queue?: string };

/** What an inspection command line asks for, or nothing more (help was printed). */
export type ParsedInspectArgs = { kind: "run"; broker: ModuleRef; path: string[]; json: boolean; command: InspectCommand } | { kind: "done" };

const EPILOGUE =
  "Exit codes: 0 done, 1 the message is not where the command said (processed, moved or deleted meanwhile), 2 bad arguments or a broker module that cannot be imported, 3 the broker cannot be reached, 5 the broker cannot do this (e.g. list a live RabbitMQ queue).";

/**
 * Parses `q queues`, `q dlq list|requeue|purge` and `q message show` (argv without
 * `node` and the script). Throws {@link UsageError} on bad arguments.
 *
 * @example
 * parseInspectArgs(["dlq", "requeue", "./dist/broker.js", "emails", "--all"]);
 */
export function parseInspectArgs(argv: readonly string[]): ParsedInspectArgs {
  let command: InspectCommand | undefined;
  const broker = { type: "string", describe: "The module that makes the broker, as `q <broker>` takes it (module[:export])." } as const;
  const queue = { type: "string", describe: "The queue (its canonical name, without .DQ or .XQ)." } as const;
  const parser = yargs([...argv])
    .scriptName("q")
    .usage("Usage: $0 queues|dlq|message ...\n\nShows and repairs the queues of a broker: counts, dead letters, one message.")
    .command("queues <broker>", "Every queue with its pending, in-flight, delayed and dead-letter counts.", (y) =>
      y.positional("broker", broker).option("include", { type: "string", array: true, describe: "Also show these queues (e.g. ones no actor of the module declares)." }),
      (a) => {
        command = { kind: "queues", include: a.include ?? [] };
      },
    )
    .command("dlq", "Dead letters: list, requeue or purge them.", (y) =>
      y
        .command("list <broker> [queue]", "The dead letters of a queue (of every queue that has some, without one).", (z) =>
          z
            .positional("broker", broker)
            .positional("queue", queue)
            .option("limit", { type: "number", default: 50, describe: "Most dead letters to show (per queue), 1 to 500." })
            .option("cursor", { type: "string", describe: "Show the page after this one (the cursor a listing printed)." }),
          (a) => {
            if (a.cursor !== undefined && a.queue === undefined) throw new UsageError("--cursor needs a queue: q dlq list <broker> <queue> --cursor ….");
            command = { kind: "dlq-list", queue: a.queue, limit: a.limit, cursor: a.cursor };
          },
        )
        .command("requeue <broker> <queue> [ids..]", "Put dead letters back on their queue (retries reset), by id or --all.", (z) =>
          z
            .positional("broker", broker)
            .positional("queue", queue)
            .positional("ids", { type: "string", array: true, describe: "Message ids (as q dlq list prints them)." })
            .option("all", { type: "boolean", default: false, describe: "Requeue every dead letter of the queue." }),
          (a) => {
            const ids = a.ids ?? [];
            if (a.all === (ids.length > 0)) throw new UsageError("q dlq requeue takes message ids or --all (not both, not neither).");
            command = { kind: "dlq-requeue", queue: a.queue!, ids, all: a.all };
          },
        )
        .command("purge <broker> <queue>", "Delete every dead letter of the queue (needs --yes).", (z) =>
          z.positional("broker", broker).positional("queue", queue).option("yes", { type: "boolean", default: false, describe: "Yes, delete them: there is no undo." }),
          (a) => {
            if (!a.yes) throw new UsageError(`q dlq purge deletes every dead letter of ${a.queue} for good; add --yes to do it.`);
            command = { kind: "dlq-purge", queue: a.queue! };
          },
        )
        .demandCommand(1, "name what to do with the dead letters: list, requeue or purge."),
    )
    .command("message", "One message.", (y) =>
      y
        .command("show <broker> <id>", "Everything about one message: where it is, its arguments, options and last error.", (z) =>
          z.positional("broker", broker).positional("id", { type: "string", describe: "The message id." }).option("queue", { alias: "Q", type: "string", describe: "Look only in this queue (default: every queue)." }),
          (a) => {
            command = { kind: "message-show", id: a.id!, queue: a.queue };
          },
        )
        .demandCommand(1, "name what to do: show."),
    )
    .options({
      json: { type: "boolean", default: false, describe: "Print JSON instead of a table." },
      path: { alias: "P", type: "string", array: true, default: ["."], describe: "Directories the broker module is looked up from, in order." },
    })
    .epilogue(EPILOGUE)
    .example("$0 queues ./dist/broker.js", "the counts of every queue")
    .example("$0 dlq list ./dist/broker.js emails --json", "the dead letters of emails, as JSON")
    .example("$0 dlq requeue ./dist/broker.js emails --all", "run them all again")
    .alias("help", "h")
    .version(false)
    .strict()
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, error) => {
      throw error instanceof UsageError ? error : new UsageError(message ?? error?.message ?? "invalid arguments", { cause: error });
    });
  const args = parser.parseSync();
  if (args.help || command === undefined) return { kind: "done" };
  return { kind: "run", broker: splitModuleRef(String(args.broker)), path: args.path.map(String), json: args.json, command };
}
