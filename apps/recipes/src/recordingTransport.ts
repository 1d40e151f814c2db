import type { ErrorReport, ErrorTransport } from "./errorReporting";

/** A transport that keeps every report in memory, plus the reports it kept. */
export interface RecordingTransport {
  readonly transport: ErrorTransport;
  readonly reports: ErrorReport[];
}

/**
 * The test transport of {@link ErrorReporting}: records reports instead of sending them.
 * `failFirst` makes its first calls reject, to show a broken tracker does not stop the worker.
 *
 * @example
 * const { transport, reports } = recordingTransport();
 * broker.addMiddleware(new ErrorReporting({ transport }));
 */
export function recordingTransport(options: { failFirst?: number } = {}): RecordingTransport {
  const reports: ErrorReport[] = [];
  let failuresLeft = options.failFirst ?? 0;
  const transport: ErrorTransport = async (report) => {
    if (failuresLeft > 0) {
      failuresLeft--;
      throw new Error("the error tracker is down");
    }
    reports.push(report);
  };
  return { transport, reports };
}
