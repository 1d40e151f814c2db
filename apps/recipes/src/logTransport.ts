import type { Logger } from "@q/core";
import type { ErrorTransport } from "./errorReporting";

/**
 * A transport that writes each report as one structured log line: the default, so the
 * worker shows what a tracker would receive. Swap it for a Sentry or Rollbar call in production.
 *
 * @example
 * new ErrorReporting({ transport: logTransport(broker.rootLogger) });
 */
export function logTransport(logger: Logger): ErrorTransport {
  const log = logger.child({ name: "recipes.errors" });
  return async ({ exception: _exception, error, ...report }) => {
    log.warn({ report: { ...report, error: { type: error.type, message: error.message } } }, `Reported failure of ${report.actorName} (message ${report.messageId}, willRetry ${report.willRetry}): ${error.type}: ${error.message}`);
  };
}
