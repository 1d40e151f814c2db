import { ResultError } from "./ResultError";

/**
 * Waiting for a result ran out of time.
 */
export class ResultTimeout extends ResultError {}
