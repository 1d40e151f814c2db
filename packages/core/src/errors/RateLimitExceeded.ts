import { QError } from "./QError";

/**
 * A rate limiter had no free slot. Raised inside an actor it makes the message retry
 * with backoff, and the worker logs it at DEBUG instead of ERROR.
 */
export class RateLimitExceeded extends QError {}
