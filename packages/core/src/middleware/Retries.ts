import { setTimeout as sleep } from "node:timers/promises";
import type { Actor } from "../actor/Actor";
import { isExpectedError } from "../actor/isExpectedError";
import type { Broker } from "../broker/Broker";
import { ConnectionError } from "../errors/ConnectionError";
import { Retry } from "../errors/Retry";
import { childLogger } from "../logging/childLogger";
import { Message } from "../message/Message";
import type { MessageProxy } from "../message/MessageProxy";
import { messageOption, warnInvalid } from "../options/messageOption";
import { Middleware, type ProcessOutcome } from "./Middleware";
import { computeBackoff } from "./computeBackoff";

const LOGGER = "q.middleware.retries.Retries";
const DEFAULT_MAX_RETRIES = 20;
const DEFAULT_MIN_BACKOFF = 15_000;
const DEFAULT_MAX_BACKOFF = 7 * 24 * 60 * 60 * 1000;

/** Options of {@link Retries}. */
export interface RetriesOptions {
  /** Default 20; null retries forever. */
  maxRetries?: number | null;
  /** Default 15000 ms (0 or undefined here means the default; actor/message 0 is honoured). */
  minBackoff?: number;
  /** Default 7 days (capped at 7 days). */
  maxBackoff?: number;
  retryWhen?: (retriesSoFar: number, error: unknown) => boolean;
}

/**
 * Retries failed messages with exponential backoff and jitter on the delay queue,
 * keeping the message id; gives up (dead-letters) after `maxRetries`, or when
 * `retryWhen` says no. Errors listed in the actor's `throws` are never retried, and
 * a thrown {@link Retry} retries quietly, after its own `delay` if it has one.
 * Writes `retries`, `traceback` and `requeue_timestamp` into the message options.
 *
 * @example
 * const fetchFeed = actor(fn, { maxRetries: 3, minBackoff: 1_000, retryWhen: (n, e) => n < 3 && e instanceof TimeoutError });
 */
export class Retries extends Middleware {
  override readonly actorOptions = ["maxRetries", "minBackoff", "maxBackoff", "retryWhen", "throws", "onRetryExhausted"];
  private readonly maxRetries: number | null;
  private readonly minBackoff: number;
  private readonly maxBackoff: number;
  private readonly retryWhen: RetriesOptions["retryWhen"];

  constructor(options: RetriesOptions = {}) {
    super();
    this.maxRetries = options.maxRetries === undefined ? DEFAULT_MAX_RETRIES : options.maxRetries;
    this.minBackoff = options.minBackoff || DEFAULT_MIN_BACKOFF;
    this.maxBackoff = options.maxBackoff || DEFAULT_MAX_BACKOFF;
    this.retryWhen = options.retryWhen;
  }

  override validateActorOptions(options: Readonly<Record<string, unknown>>): string[] {
    const problems: string[] = [];
    const { maxRetries, minBackoff, maxBackoff, retryWhen, throws } = options;
    if (maxRetries !== undefined && maxRetries !== null && !(Number.isInteger(maxRetries) && (maxRetries as number) >= 0)) {
      problems.push("maxRetries must be a non-negative integer or null");
    }
    for (const [name, value] of [["minBackoff", minBackoff], ["maxBackoff", maxBackoff]] as const) {
      if (value !== undefined && !(typeof value === "number" && value >= 0 && Number.isFinite(value))) {
        problems.push(`${name} must be a non-negative number of milliseconds`);
      }
    }
    if (retryWhen !== undefined && typeof retryWhen !== "function") problems.push("retryWhen must be a function");
    if (throws !== undefined && ![throws].flat().every((c) => typeof c === "function")) {
      problems.push("throws must be an error class or an array of them");
    }
    return problems;
  }

  override afterProcessMessage(broker: Broker, message: MessageProxy, { exception }: ProcessOutcome): void | Promise<void> {
    if (exception !== undefined) return this.failed(broker, message, exception);
  }

  private async failed(broker: Broker, message: MessageProxy, exception: unknown): Promise<void> {
    const actor = broker.actors.get(message.actorName);
    if (message.failed) return; // already rejected for good (e.g. arguments that can never fit)
    if (isExpectedError(actor, exception)) {
      this.logger(broker).info(`Aborting message '${message.messageId}'.`);
      message.fail();
      return;
    }

    const retries = this.retriesSoFar(broker, message);
    message.options.retries = retries + 1;
    message.options.traceback = formatTraceback(exception);
    message.options.requeue_timestamp = Date.now();

    const maxRetries = messageOption<number | null>(broker, LOGGER, message, actor, "maxRetries", this.maxRetries);
    const retryWhen = (actor?.options.retryWhen as RetriesOptions["retryWhen"]) ?? this.retryWhen;
    const giveUp = retryWhen ? !retryWhen(retries, exception) : maxRetries !== null && retries >= maxRetries;
    if (giveUp) {
      this.logger(broker).warn(`Retries exceeded for message '${message.messageId}'.`);
      message.fail();
      const target = messageOption<string | null>(broker, LOGGER, message, actor, "onRetryExhausted", null);
      if (target) {
        await this.notifyExhausted(broker, target, message, { retries, max_retries: maxRetries });
      }
      return;
    }

    let delay: number;
    if (exception instanceof Retry && exception.delay !== undefined) {
      delay = exception.delay;
    } else {
      const minBackoff = messageOption<number>(broker, LOGGER, message, actor, "minBackoff", this.minBackoff);
      const maxBackoff = Math.min(messageOption<number>(broker, LOGGER, message, actor, "maxBackoff", this.maxBackoff), DEFAULT_MAX_BACKOFF);
      delay = computeBackoff(retries, { factor: minBackoff, maxBackoff });
    }
    this.logger(broker).info(`Retrying message '${message.messageId}' in ${delay} milliseconds.`);
    await this.enqueueRetry(broker, message, delay);
  }

  /**
   * The message is acked once this returns, so the retry must be on the broker by then, or
   * the message is lost. A connection error is retried (as the worker retries acks) until
   * it goes through or the worker abandons the message at a stop (it is then requeued, not
   * acked). Any other failure cannot heal by waiting: the message is dead-lettered instead.
   */
  private async enqueueRetry(broker: Broker, message: MessageProxy, delay: number): Promise<void> {
    let wait = 250;
    for (;;) {
      try {
        await broker.enqueue(message.toMessage(), { delay });
        return;
      } catch (error) {
        if (!(error instanceof ConnectionError)) {
          this.logger(broker).error({ err: error }, `Could not enqueue the retry of message '${message.messageId}'; moving it to the dead letters instead.`);
          message.fail();
          return;
        }
        if (message.interrupted) return;
        this.logger(broker).warn(`Could not enqueue the retry of message '${message.messageId}' (${error.message}); trying again in ${(wait / 1000).toFixed(2)} s.`);
        await sleep(wait);
        if (message.interrupted) return;
        wait = Math.min(2 * wait, 5000);
      }
    }
  }

  /** The failed attempts before this one: the `retries` option, which any producer may have written. */
  private retriesSoFar(broker: Broker, message: MessageProxy): number {
    const retries = message.options.retries;
    if (retries === undefined) return 0;
    if (Number.isInteger(retries) && (retries as number) >= 0) return retries as number;
    warnInvalid(broker, LOGGER, message, "retries", retries, "expected a non-negative integer; counting from 0");
    return 0;
  }

  private async notifyExhausted(broker: Broker, target: string, message: MessageProxy, info: Record<string, unknown>): Promise<void> {
    const actor: Actor<any, any> | undefined = broker.actors.get(target);
    if (!actor) {
      this.logger(broker).error(`onRetryExhausted names ${JSON.stringify(target)}, which is not a declared actor.`);
      return;
    }
    // Not messageWithOptions, which checks arguments as a TypeScript send does: the dict
    // came off the wire and may hold Python's NaN or Infinity, which the encoder writes back.
    await broker.enqueue(new Message({ queueName: actor.queueName, actorName: actor.actorName, args: [message.toDict(), info] }));
  }

  private logger(broker: Broker) {
    return childLogger(broker, LOGGER);
  }
}

/** The failure's stack (the JS counterpart of Python's traceback text), bounded. */
function formatTraceback(error: unknown): string {
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return text.length > 8000 ? text.slice(0, 8000) : text;
}
