import type { Message } from "../message/Message";
import type { QueuePart } from "./QueuePart";

/**
 * One stored message as an inspector reads it: the decoded message when the bytes decode, the
 * bytes as stored, and what a dashboard shows about it.
 *
 * @example
 * const m = await inspector.getMessage("default", messageId);
 * if (m) console.log(m.part, m.message?.actorName, m.retries, m.lastError);
 */
export interface InspectedMessage {
  /** The Dramatiq `message_id`; what the actions take. */
  messageId: string;
  /** The canonical queue name. */
  queueName: string;
  /** Where it is now. */
  part: QueuePart;
  /** The message, or undefined when the bytes do not decode (see `decodeError`). */
  message?: Message;
  /** The bytes exactly as stored. */
  data: Buffer;
  /** Why the bytes did not decode. */
  decodeError?: string;
  /** `message_timestamp`, ms since the epoch. */
  enqueuedAt?: number;
  /** The `eta` option (ms since the epoch) of a delayed message. */
  eta?: number;
  /** The `retries` option: how many times it was retried (0 when absent). */
  retries: number;
  /** When it was dead-lettered (ms since the epoch), where the broker records it. */
  deadAt?: number;
  /** The last failure where the message keeps one (Retries' `traceback` option, Python's too). */
  lastError?: string;
  /** Whether a worker holds it right now, when the broker can tell. */
  inFlight?: boolean;
}
