import { ResultError } from "./ResultError";

/**
 * The actor whose result was requested failed; the stored error's type and message are kept.
 */
export class ResultFailure extends ResultError {
  readonly origExcType: string;
  readonly origExcMsg: string;

  constructor(message: string, origExcType: string, origExcMsg: string, options?: { cause?: unknown }) {
    super(message, options);
    this.origExcType = origExcType;
    this.origExcMsg = origExcMsg;
  }
}
