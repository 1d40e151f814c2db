/**
 * Masks the arguments of the command an ioredis error carries when that command
 * is AUTH or HELLO (a refused login): ioredis's ReplyError keeps `command.args`, the
 * password included, and `console.log(error)` or a logger serializing the error's cause
 * would print it. Returns the same error. For the Redis broker and the Redis backends of
 * @q/results and @q/rate-limits, which keep ioredis errors as causes.
 *
 * @example
 * connection.on("error", (err) => (lastError = redactAuthCommand(err)));
 */
export function redactAuthCommand<E>(error: E): E {
  if (typeof error !== "object" || error === null) return error; // anything may be thrown
  const command = (error as { command?: { name?: unknown; args?: unknown } }).command;
  if (command && typeof command.name === "string" && /^(auth|hello)$/i.test(command.name) && Array.isArray(command.args)) {
    command.args = command.args.map(() => "****");
  }
  return error;
}
