import { QError } from "./QError";

/**
 * A message's encoded bytes are over the broker's `maxMessageSize`. Thrown by a send before
 * anything is written (for `enqueueMany`, before any message of the batch is written), so
 * nothing already enqueued is touched; a worker dead-letters a received message over the
 * limit without decoding it, logging this error's message.
 *
 * @example
 * try { await upload.send(hugeBase64) } catch (e) {
 *   if (e instanceof MessageTooLarge) console.error(e.messageId, e.size, e.limit); // store the blob elsewhere, send its key
 * }
 */
export class MessageTooLarge extends QError {
  /** The message's id, when known (on receive it is read from the bytes without decoding them). */
  readonly messageId: string | undefined;
  /** The message's size in bytes. */
  readonly size: number;
  /** The broker's `maxMessageSize` in bytes. */
  readonly limit: number;

  constructor(message: string, details: { messageId?: string; size: number; limit: number }, options?: { cause?: unknown }) {
    super(message, options);
    this.messageId = details.messageId;
    this.size = details.size;
    this.limit = details.limit;
  }
}
