/**
 * The cookbook's "Reporting errors with Rollbar / Sentry" recipe, without tying it to one
 * vendor: a middleware that hands every failed attempt to a transport, the function that
 * talks to your error tracker.
 */
import { type Broker, type MessageProxy, Middleware, type ProcessOutcome, Retries } from "@q/core";

/** What {@link ErrorReporting} hands to its transport for each failed attempt. */
export interface ErrorReport {
  /** The message's id; a retry keeps it, so every attempt of one message shares it. */
  readonly messageId: string;
  readonly actorName: string;
  readonly queueName: string;
  /** Attempts that failed before this one (0 on the first attempt). */
  readonly retries: number;
  /** Whether the Retries middleware scheduled another attempt; false once the message is dead-lettered. */
  readonly willRetry: boolean;
  /** The error's class name, message and stack, as plain data a transport can serialise. */
  readonly error: { readonly type: string; readonly message: string; readonly stack?: string };
  /** The error itself, for SDKs that want the original object (Sentry's `captureException`). */
  readonly exception: unknown;
  /** When the attempt failed, ms since the epoch. */
  readonly timestamp: number;
}

/** Sends one report to an error tracker; a rejection is logged, never rethrown. */
export type ErrorTransport = (report: ErrorReport) => Promise<void>;

/** Options of {@link ErrorReporting}. */
export interface ErrorReportingOptions {
  transport: ErrorTransport;
  /**
   * How long the worker waits for the transport, in ms; default 5000. The report is awaited
   * before the message is acknowledged, so a tracker that hangs would otherwise hold a
   * worker slot for as long as it hangs.
   */
  timeout?: number;
  /** Which failures to report; default all of them. */
  shouldReport?: (error: unknown, message: MessageProxy) => boolean;
}

/**
 * Reports actor failures (every failed attempt, as Dramatiq's `after_process_message` with
 * an exception does) to a pluggable transport, with whether the message will be retried.
 * A transport that throws, rejects or times out is logged and otherwise ignored: reporting
 * must never break the worker.
 *
 * List it **before** Retries: `after*` hooks run in reverse list order, so its
 * `afterProcessMessage` then runs after Retries' and reads what Retries decided
 * (`message.failed`). Appended after Retries (as Dramatiq's recipe appends its middleware) it
 * would run first and report every attempt as about to be retried; a worker booting with it
 * there logs an error saying so.
 *
 * @example
 * const broker = new RedisBroker();
 * broker.addMiddleware(new ErrorReporting({ transport: async (r) => { sentry.captureException(r.exception, { tags: { actor: r.actorName } }) } }), { before: Retries });
 */
export class ErrorReporting extends Middleware {
  private readonly transport: ErrorTransport;
  private readonly timeout: number;
  private readonly shouldReport: (error: unknown, message: MessageProxy) => boolean;

  constructor(options: ErrorReportingOptions) {
    super();
    if (typeof options?.transport !== "function") throw new TypeError("ErrorReporting needs a transport: new ErrorReporting({ transport: async (report) => { ... } }).");
    this.transport = options.transport;
    this.timeout = options.timeout ?? 5_000;
    if (!(Number.isFinite(this.timeout) && this.timeout > 0)) throw new TypeError(`ErrorReporting's timeout must be a positive number of milliseconds, got ${String(options.timeout)}.`);
    this.shouldReport = options.shouldReport ?? (() => true);
  }

  override beforeWorkerBoot(broker: Broker): void {
    const mine = broker.middleware.indexOf(this);
    const retries = broker.middleware.findIndex((m) => m instanceof Retries);
    if (retries !== -1 && mine > retries) {
      broker.rootLogger
        .child({ name: "recipes.ErrorReporting" })
        .error("ErrorReporting is listed after Retries, so it runs before Retries decides and reports willRetry wrongly: add it with broker.addMiddleware(m, { before: Retries }).");
    }
  }

  override async afterProcessMessage(broker: Broker, message: MessageProxy, { exception }: ProcessOutcome): Promise<void> {
    if (exception === undefined) return;
    const log = broker.rootLogger.child({ name: "recipes.ErrorReporting" });
    let report: ErrorReport;
    try {
      if (!this.shouldReport(exception, message)) return;
      report = buildReport(message, exception);
    } catch (error) {
      log.error({ err: error }, `Could not build the error report of message ${message.messageId}.`);
      return;
    }
    try {
      await withTimeout(this.transport(report), this.timeout);
    } catch (error) {
      log.error({ err: error }, `The error transport failed for message ${message.messageId} (${message.actorName}); the report is dropped.`);
    }
  }
}

function buildReport(message: MessageProxy, exception: unknown): ErrorReport {
  // The options as they arrived: Retries has already raised the working copy's `retries`
  // for this failure (and leaves it alone for errors it never retries).
  const before = message.message.options.retries;
  const retries = typeof before === "number" && Number.isInteger(before) && before >= 0 ? before : 0;
  const error =
    exception instanceof Error
      ? { type: exception.constructor?.name || exception.name, message: exception.message, stack: exception.stack }
      : { type: typeof exception, message: String(exception) };
  return {
    messageId: message.messageId,
    actorName: message.actorName,
    queueName: message.queueName,
    retries,
    // Retries runs before this middleware: a message it gave up on is marked failed.
    willRetry: !message.failed,
    error,
    exception,
    timestamp: Date.now(),
  };
}

/** `promise`, or a rejection after `ms` ms; the timer never outlives the race. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the transport did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve(promise), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
