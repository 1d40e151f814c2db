import { QError } from "./QError";

/**
 * Raised by middleware to change how a message is processed. Unlike any other error
 * thrown from a `before*` hook, it propagates to the worker.
 */
export class MiddlewareError extends QError {}
