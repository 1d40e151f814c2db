import type { Broker } from "../broker/Broker";

/** An error class, for `throws`. */
export type ErrorClass = abstract new (...args: any[]) => Error;

/**
 * How an actor is declared. Besides the declaration keys, each key is an option some
 * middleware reads (camelCase here, snake_case on the wire); unknown keys are an error.
 */
export interface ActorOptions {
  /** The actor's name on the wire; default: the function's name. */
  actorName?: string;
  /** Default `"default"`; must match `[a-zA-Z_][a-zA-Z0-9._-]*`. */
  queueName?: string;
  /** Worker-local ordering: lower runs first (default 0). Not sent on the wire. */
  priority?: number;
  /** Declare on this broker instead of the global one. */
  broker?: Broker;
  /**
   * Take keyword arguments (Python producers' `kwargs`) as one extra, last parameter:
   * the actor is called as `fn(...args, kwargs)`, with `{}` when there are none.
   * Without it, a message carrying kwargs fails with ArgumentError and is dead-lettered.
   */
  acceptKwargs?: boolean;
  /** AgeLimit: drop messages older than this many ms. */
  maxAge?: number | null;
  /** TimeLimit: fail a run after this many ms (default 600000). */
  timeLimit?: number | null;
  /** ShutdownNotifications: abort this actor's signal with Shutdown when the worker stops. */
  notifyShutdown?: boolean;
  /** Callbacks: actor (or name) sent `(messageDict, result)` after success. */
  onSuccess?: string | { actorName: string } | null;
  /** Callbacks: actor (or name) sent `(messageDict, { type, message })` after each failure. */
  onFailure?: string | { actorName: string } | null;
  /** Pipelines: do not append the previous step's result to this actor's arguments. */
  pipeIgnore?: boolean;
  /** Retries: most retries (default 20); null retries forever. */
  maxRetries?: number | null;
  /** Retries: first backoff in ms (default 15000). */
  minBackoff?: number;
  /** Retries: backoff cap in ms (default 7 days). */
  maxBackoff?: number;
  /** Retries: decide per failure; when set, maxRetries is ignored. Actor-level only. */
  retryWhen?: (retriesSoFar: number, error: unknown) => boolean;
  /** Retries: errors that must not be retried (logged at INFO). Actor-level only. */
  throws?: ErrorClass | readonly ErrorClass[];
  /** Retries: actor (or name) sent `(messageDict, { retries, max_retries })` when retries run out. */
  onRetryExhausted?: string | { actorName: string } | null;
  /** Options of your own middleware. */
  [option: string]: unknown;
}
