import { QError } from "./QError";

/**
 * Bytes on a queue are not a valid message: not UTF-8 JSON, not an object, a missing
 * required field or an unknown top-level key. Workers dead-letter such payloads.
 *
 * @example
 * try { Message.decode(Buffer.from("{}")) } catch (e) { e instanceof DecodeError } // true
 */
export class DecodeError extends QError {
  /** The bytes (or string) that failed to decode. */
  declare readonly data: Buffer | string;
  /** The message id, when the bytes were JSON with a string `message_id` (for log lines). */
  readonly messageId: string | undefined;

  constructor(message: string, data: Buffer | string, options?: { cause?: unknown; messageId?: string }) {
    super(message, options);
    // Not enumerable: loggers copy an error's enumerable fields, and a poison payload's
    // bytes (megabytes, written out as a JSON array of numbers) have no place in a log line.
    Object.defineProperty(this, "data", { value: data, enumerable: false, writable: false, configurable: true });
    this.messageId = options?.messageId;
  }
}
