import { QError } from "./QError";

/**
 * `broker.join(queue, { timeout })` ran out of time before the queue drained.
 */
export class QueueJoinTimeout extends QError {}
