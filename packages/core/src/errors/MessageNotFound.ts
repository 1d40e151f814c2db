import { BrokerError } from "./BrokerError";

/**
 * A queue-inspection action named a message that is not (or no longer) where it said: it was
 * processed, requeued, deleted or moved meanwhile. Nothing was changed.
 *
 * @example
 * try { await inspector.requeue("default", id) } catch (e) {
 *   if (e instanceof MessageNotFound) console.log("already gone:", e.messageId);
 * }
 */
export class MessageNotFound extends BrokerError {
  /** The message id the action named. */
  readonly messageId: string;

  constructor(message: string, options: { messageId: string; cause?: unknown }) {
    super(message, options);
    this.messageId = options.messageId;
  }
}
