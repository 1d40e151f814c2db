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
  readonly data: Buffer | string;

  constructor(message: string, data: Buffer | string, options?: { cause?: unknown }) {
    super(message, options);
    this.data = data;
  }
}
