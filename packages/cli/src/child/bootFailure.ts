import { ExitCode } from "../ExitCode";

/**
 * The exit code and one-line text of an error that stopped a child process from
 * booting: a CLI error's own code, 3 for a broker connection error (told by name, as it
 * may come from another copy of @q/core), 2 for anything else.
 */
export function bootFailure(error: unknown): { code: number; message: string; stack?: string } {
  const err = error instanceof Error ? error : new Error(String(error));
  const code = (err as { exitCode?: unknown }).exitCode;
  if (typeof code === "number") return { code, message: err.message, stack: stackOf(err) };
  if (isConnectionError(err)) return { code: ExitCode.BROKER_CONNECTION, message: `Broker connection failed: ${err.message}`, stack: stackOf(err) };
  return { code: ExitCode.IMPORT_OR_USAGE, message: `Boot failed: ${err.name}: ${err.message}`, stack: stackOf(err) };
}

function isConnectionError(err: Error): boolean {
  for (let proto = Object.getPrototypeOf(err); proto && proto !== Error.prototype; proto = Object.getPrototypeOf(proto)) {
    if ((proto as { constructor?: { name?: string } }).constructor?.name === "ConnectionError") return true;
  }
  return false;
}

function stackOf(err: Error): string | undefined {
  const cause = err.cause instanceof Error ? err.cause : undefined;
  return cause?.stack ?? err.stack;
}
