import { ArgumentError } from "../errors/ArgumentError";
import { describeValue } from "../errors/describeValue";
import type { ListMessagesOptions } from "./MessagePage";
import { QUEUE_PARTS, type QueuePart } from "./QueuePart";

/**
 * Broker-author helper: checks a part name and page options, and reads an offset cursor
 * (the decimal offset an inspector hands out as `next`). Bad input is an `ArgumentError`.
 *
 * @example
 * const { limit, offset } = readPage("dead", options);
 * const next = offset + limit < total ? String(offset + limit) : undefined;
 */
export function readPage(part: QueuePart, options: ListMessagesOptions = {}): { limit: number; offset: number } {
  checkPart(part);
  const limit = options.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw new ArgumentError(`listMessages: limit must be an integer from 1 to 500, got ${describeValue(limit)}.`);
  }
  const cursor = options.cursor ?? "0";
  if (typeof cursor !== "string" || !/^\d{1,15}$/.test(cursor)) {
    throw new ArgumentError(`listMessages: cursor must be the \`next\` of an earlier page, got ${describeValue(cursor)}.`);
  }
  return { limit, offset: Number(cursor) };
}

/**
 * Broker-author helper: an `ArgumentError` unless `part` is a {@link QueuePart}.
 *
 * @example
 * checkPart(part); // "queue" | "delayed" | "dead"
 */
export function checkPart(part: unknown): asserts part is QueuePart {
  if (!QUEUE_PARTS.includes(part as QueuePart)) {
    throw new ArgumentError(`Unknown queue part ${describeValue(part)}: use one of ${QUEUE_PARTS.join(", ")}.`);
  }
}
