/**
 * One part of a queue: the queue itself (`"queue"`, messages ready or held by a worker), its
 * delay queue (`"delayed"`, `q.DQ`) or its dead letters (`"dead"`, `q.XQ`).
 *
 * @example
 * const page = await inspector.listMessages("default", "dead");
 */
export type QueuePart = "queue" | "delayed" | "dead";

/** Every {@link QueuePart}, in display order. */
export const QUEUE_PARTS: readonly QueuePart[] = Object.freeze(["queue", "delayed", "dead"]);
