import { QError } from "./QError";

/**
 * A call got an argument it cannot use (a negative `delay`, `addMiddleware` with both
 * `before` and `after`, a pipeline step that is not a message), or a message's arguments
 * do not fit its actor. Keyword arguments from a Python producer sent to an actor
 * declared without `acceptKwargs` are dead-lettered at once, never retried. Too many or
 * too few positional arguments fail the attempt, which is retried per the retry policy
 * and then dead-lettered, as Dramatiq handles Python's TypeError.
 */
export class ArgumentError extends QError {}
