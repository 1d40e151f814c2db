import type { InspectedMessage } from "./InspectedMessage";

/**
 * Options of {@link QueueInspector.listMessages}.
 *
 * @example
 * const next = await inspector.listMessages("default", "dead", { limit: 50, cursor: page.next });
 */
export interface ListMessagesOptions {
  /** Most messages on the page; default 50, at most 500. */
  limit?: number;
  /** `next` of the previous page; omit it for the first page. */
  cursor?: string;
}

/**
 * One page of messages; `next` is set when there may be more.
 *
 * @example
 * let page = await inspector.listMessages("default", "queue");
 * while (page.next) page = await inspector.listMessages("default", "queue", { cursor: page.next });
 */
export interface MessagePage {
  messages: InspectedMessage[];
  /** The cursor of the next page, absent on the last one. */
  next?: string;
  /** How many messages the part holds in all, when the broker can tell cheaply. */
  total?: number;
}
