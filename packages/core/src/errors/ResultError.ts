import { QError } from "./QError";

/**
 * Base class of the errors raised when reading a stored result.
 */
export class ResultError extends QError {}
