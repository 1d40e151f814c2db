/**
 * `sendWithOptions` / `messageWithOptions` input: arguments, an optional delay and
 * per-message options (camelCase; they override the actor's).
 */
export interface SendOptions<Args extends unknown[], Kwargs = never> {
  args?: Args;
  /** Keyword arguments; only for actors declared with `acceptKwargs`. */
  kwargs?: Kwargs;
  /** Milliseconds to wait before the message may run. */
  delay?: number;
  /** RabbitMQ message priority (with a broker `maxPriority`). */
  brokerPriority?: number;
  maxAge?: number | null;
  timeLimit?: number | null;
  notifyShutdown?: boolean;
  onSuccess?: string | { actorName: string } | null;
  onFailure?: string | { actorName: string } | null;
  pipeIgnore?: boolean;
  maxRetries?: number | null;
  minBackoff?: number;
  maxBackoff?: number;
  onRetryExhausted?: string | { actorName: string } | null;
  [option: string]: unknown;
}
