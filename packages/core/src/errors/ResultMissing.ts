import { ResultError } from "./ResultError";

/**
 * The result is not stored (yet, or it expired).
 */
export class ResultMissing extends ResultError {}
