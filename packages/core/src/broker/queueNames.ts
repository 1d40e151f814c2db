/** A queue name must fully match this (Dramatiq's rule; dots are allowed). */
export const QUEUE_NAME_PATTERN = /^[a-zA-Z_][a-zA-Z0-9._-]*$/;

/**
 * The canonical queue name: `q.DQ` and `q.XQ` both give `q`.
 *
 * @example
 * qName("emails.DQ") // "emails"
 */
export function qName(queueName: string): string {
  return queueName.endsWith(".DQ") || queueName.endsWith(".XQ") ? queueName.slice(0, -3) : queueName;
}

/**
 * The delay queue of a queue: `q` gives `q.DQ` (a `.DQ` name is returned as is).
 *
 * @example
 * dqName("emails") // "emails.DQ"
 */
export function dqName(queueName: string): string {
  return queueName.endsWith(".DQ") ? queueName : `${qName(queueName)}.DQ`;
}

/**
 * The dead-letter queue of a queue: `q` and `q.DQ` give `q.XQ`.
 *
 * @example
 * xqName("emails.DQ") // "emails.XQ"
 */
export function xqName(queueName: string): string {
  return queueName.endsWith(".XQ") ? queueName : `${qName(queueName)}.XQ`;
}
