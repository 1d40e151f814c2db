import type { Broker, InspectedMessage, QueueInspector } from "@q/core";
import { ExitCode } from "../ExitCode";
import { CliError } from "../errors/CliError";
import { importModule } from "../modules/importModule";
import { type Core, loadCore } from "../modules/loadCore";
import { resolveBroker } from "../modules/resolveBroker";
import { resolveModuleFile } from "../modules/resolveModuleFile";
import { formatTable } from "./formatTable";
import type { InspectCommand, ParsedInspectArgs } from "./parseInspectArgs";
import { messageJson, messageText } from "./showMessage";

type Run = Extract<ParsedInspectArgs, { kind: "run" }>;

/**
 * Runs one inspection command in this process: imports the broker module, asks its
 * broker's inspector, prints to `out` and resolves with the exit code. Errors a user can act
 * on become one `q: …` line on `err`.
 *
 * @example
 * const code = await runInspect(parseInspectArgs(["queues", "./dist/broker.js"]), (t) => process.stdout.write(t), (t) => process.stderr.write(t));
 */
export async function runInspect(run: Run, out: (text: string) => void, err: (text: string) => void): Promise<number> {
  const file = resolveModuleFile(run.broker.specifier, run.path);
  const { core } = loadCore(file);
  const ns = await importModule(file, run.broker.specifier);
  const broker = await resolveBroker(ns, run.broker, core);
  try {
    const inspector = core.inspectorOf(broker);
    return await execute(run.command, inspector, broker, run, out, err);
  } catch (error) {
    const code = exitCodeOf(error, core);
    if (code === undefined) throw error;
    err(`q: ${(error as Error).message}\n`);
    return code;
  } finally {
    await broker.close().catch(() => undefined);
  }
}

async function execute(command: InspectCommand, inspector: QueueInspector, broker: Broker, run: Run, out: (text: string) => void, err: (text: string) => void): Promise<number> {
  const json = run.json;
  const moduleRef = run.broker.exportPath ? `${run.broker.specifier}:${run.broker.exportPath}` : run.broker.specifier;
  const print = (value: unknown) => {
    out(`${JSON.stringify(value, null, 2)}\n`);
    return ExitCode.OK;
  };
  switch (command.kind) {
    case "queues": {
      const queues = await inspector.listQueues({ include: command.include });
      if (json) return print(queues);
      // A count the broker cannot tell (RabbitMQ: in flight; Redis: consumers) gets no column.
      const inFlight = queues.some((q) => q.inFlight !== undefined);
      const consumers = queues.some((q) => q.consumers !== undefined);
      const header = ["QUEUE", "PENDING", ...(inFlight ? ["IN-FLIGHT"] : []), "DELAYED", "DEAD", ...(consumers ? ["CONSUMERS"] : [])];
      const rows = queues.map((q) => [
        q.declared ? q.name : `${q.name} *`,
        String(q.pending),
        ...(inFlight ? [String(q.inFlight ?? "-")] : []),
        String(q.delayed),
        String(q.deadLetters),
        ...(consumers ? [String(q.consumers ?? "-")] : []),
      ]);
      out(formatTable(header, rows, header.map((_, i) => i).slice(1)));
      if (queues.some((q) => !q.declared)) out("* found on the server, not declared by this broker module\n");
      if (queues.length === 0) out("No queues: the module declares none and the server has none.\n");
      return ExitCode.OK;
    }
    case "dlq-list": {
      const names = command.queue !== undefined ? [command.queue] : (await inspector.listQueues()).filter((q) => q.deadLetters > 0).map((q) => q.name);
      const pages = [];
      for (const name of names) pages.push({ queue: name, ...(await inspector.listMessages(name, "dead", { limit: command.limit, cursor: command.cursor })) });
      if (json) return print(pages.map((p) => ({ queue: p.queue, total: p.total, next: p.next, messages: p.messages.map(messageJson) })));
      if (pages.length === 0) out("No dead letters.\n");
      for (const page of pages) {
        out(`${page.queue}: ${page.total ?? page.messages.length} dead letter(s)\n`);
        if (page.messages.length > 0) out(formatTable(["MESSAGE ID", "ACTOR", "RETRIES", "DIED", "LAST ERROR"], page.messages.map(deadRow), [2]));
        if (page.next) out(`more: q dlq list ${moduleRef} ${page.queue} --cursor ${page.next}\n`);
      }
      return ExitCode.OK;
    }
    case "dlq-requeue": {
      if (command.all) {
        const n = await inspector.requeueAll(command.queue);
        if (json) return print({ queue: command.queue, requeued: n });
        out(`Requeued ${n} dead letter(s) of ${command.queue}.\n`);
        return ExitCode.OK;
      }
      // Each id on its own: one that moved meanwhile does not stop the others.
      const requeued: string[] = [];
      const missing: string[] = [];
      for (const id of command.ids) {
        try {
          await inspector.requeue(command.queue, id);
          requeued.push(id);
        } catch (error) {
          if (!isNotFound(error)) throw error;
          missing.push(id);
          err(`q: ${(error as Error).message}\n`);
        }
      }
      if (json) print({ queue: command.queue, requeued, notFound: missing });
      else out(`Requeued ${requeued.length} of ${command.ids.length} dead letter(s) of ${command.queue}.\n`);
      return missing.length > 0 ? ExitCode.NOT_FOUND : ExitCode.OK;
    }
    case "dlq-purge": {
      const n = await inspector.purge(command.queue, "dead");
      if (json) return print({ queue: command.queue, purged: n });
      out(`Deleted ${n} dead letter(s) of ${command.queue}.\n`);
      return ExitCode.OK;
    }
    case "message-show": {
      const names = command.queue !== undefined ? [command.queue] : (await inspector.listQueues()).map((q) => q.name);
      let found: InspectedMessage | undefined;
      for (const name of names) {
        found = await inspector.getMessage(name, command.id);
        if (found) break;
      }
      if (!found) {
        const where = command.queue !== undefined ? `queue ${command.queue}` : `any queue of ${broker.constructor.name}`;
        const notes = inspector.capabilities.listable.length < 3 ? ` (this broker shows only: ${inspector.capabilities.listable.join(", ")})` : "";
        err(`q: Message ${command.id} is not in ${where}${notes}.\n`);
        return ExitCode.NOT_FOUND;
      }
      if (json) return print(messageJson(found));
      out(messageText(found));
      return ExitCode.OK;
    }
  }
}

function deadRow(m: InspectedMessage): string[] {
  const error = m.decodeError ? `undecodable: ${m.decodeError}` : errorSummary(m.lastError);
  return [m.messageId, m.message?.actorName ?? "?", String(m.retries), m.deadAt === undefined ? "-" : new Date(m.deadAt).toISOString(), cut(error, 60)];
}

/** What failed: a Python traceback's last line, a JavaScript stack's first (its message). */
function errorSummary(text: string | undefined): string {
  const lines = (text ?? "").trim().split("\n");
  return (lines[0]!.startsWith("Traceback (most recent call last)") ? lines[lines.length - 1]! : lines[0]!).trim() || "-";
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown })?.code === "Q_MESSAGE_NOT_FOUND";
}

/** The exit code of an error a user can act on; undefined for a bug (re-thrown). */
function exitCodeOf(error: unknown, core: Core): number | undefined {
  if (error instanceof CliError) return error.exitCode;
  if (isNotFound(error)) return ExitCode.NOT_FOUND;
  if (error instanceof core.InspectionUnsupported) return ExitCode.UNSUPPORTED;
  if (error instanceof core.ConnectionError) return ExitCode.BROKER_CONNECTION;
  if (error instanceof core.ArgumentError || error instanceof core.ConfigurationError || error instanceof core.QueueNotFound) return ExitCode.IMPORT_OR_USAGE;
  return undefined;
}
