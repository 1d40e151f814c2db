import { randomUUID } from "node:crypto";

/** The fields of {@link pythonBytes}: `args`, `kwargs` and `options` as JSON text. */
export interface PythonMessageFields {
  queue: string;
  actor: string;
  args: string;
  /** Default `{}`. */
  kwargs?: string;
  /** Default `{}`. */
  options?: string;
  messageId?: string;
  timestamp?: number;
}

/**
 * Message bytes as Python Dramatiq writes them (`json.dumps` with compact separators and
 * `ensure_ascii`), written by hand so a test does not depend on @q's own encoder.
 *
 * @example
 * const { bytes, messageId } = pythonBytes({ queue: "default", actor: "add", args: "[1,2]" });
 */
export function pythonBytes(fields: PythonMessageFields): { bytes: Buffer; messageId: string } {
  const messageId = fields.messageId ?? randomUUID();
  const text =
    `{"queue_name":"${fields.queue}","actor_name":"${fields.actor}","args":${fields.args},"kwargs":${fields.kwargs ?? "{}"},` +
    `"options":${fields.options ?? "{}"},"message_id":"${messageId}","message_timestamp":${fields.timestamp ?? Date.now()}}`;
  return { bytes: Buffer.from(text, "ascii"), messageId };
}
