import type { Actor } from "../actor/Actor";
import type { Broker } from "../broker/Broker";
import { TimeLimitExceeded } from "../errors/TimeLimitExceeded";
import { childLogger } from "../logging/childLogger";
import type { MessageProxy } from "../message/MessageProxy";
import { messageOption } from "../options/messageOption";
import { Middleware } from "./Middleware";

const LOGGER = "q.middleware.time_limit.TimeLimit";
const DEFAULT_TIME_LIMIT = 600_000;

/**
 * Fails a message that runs longer than its time limit (default 10 minutes): its
 * AbortSignal aborts with {@link TimeLimitExceeded} and the worker counts it as failed
 * at that moment (so it is retried), even if the actor ignores the signal; a late
 * result is discarded. `Infinity` or null means no limit.
 *
 * @example
 * const crawl = actor(async function crawl(url: string) {
 *   const signal = currentSignal(); // at the start of the function
 *   await fetch(url, { signal }); // rejects with TimeLimitExceeded after 30 s
 * }, { timeLimit: 30_000 });
 */
export class TimeLimit extends Middleware {
  override readonly actorOptions = ["timeLimit"];
  private readonly timers = new Map<MessageProxy, NodeJS.Timeout>();

  constructor(private readonly options: { timeLimit?: number } = {}) {
    super();
  }

  override validateActorOptions(options: Readonly<Record<string, unknown>>): string[] {
    const v = options.timeLimit;
    return v === undefined || v === null || (typeof v === "number" && v > 0) ? [] : ["timeLimit must be a positive number of milliseconds, Infinity or null"];
  }

  /**
   * The time limit in ms this middleware enforces for `message` (message option, then
   * actor option, then this middleware's default), or undefined for none. Supervisors
   * use it to kill a process whose event loop stays blocked past the limit.
   *
   * @example
   * const limit = timeLimit.limitFor(broker, message); // e.g. 600000
   */
  limitFor(broker: Broker, message: MessageProxy): number | undefined {
    const actor = broker.actors.get(message.actorName);
    const limit = messageOption<number | null>(broker, LOGGER, message, actor, "timeLimit", this.options.timeLimit ?? DEFAULT_TIME_LIMIT);
    if (limit === null || typeof limit !== "number" || !Number.isFinite(limit) || limit <= 0) return undefined;
    // Timers past 2^31-1 ms would fire at once; such limits are effectively none.
    if (limit > 2 ** 31 - 1) return undefined;
    return limit;
  }

  /**
   * The time limit in ms of `actor`'s messages that set none of their own (the actor's
   * option, then this middleware's default), or undefined for none, as `limitFor` reads
   * it. Brokers use it to warn about limits longer than their server allows a delivery.
   *
   * @example
   * timeLimit.limitForActor(broker.getActor("crawl")); // e.g. 600000
   */
  limitForActor(actor: Actor<any, any>): number | undefined {
    const own = actor.options.timeLimit;
    const limit: unknown = own !== undefined ? own : (this.options.timeLimit ?? DEFAULT_TIME_LIMIT);
    if (limit === null || typeof limit !== "number" || !Number.isFinite(limit) || limit <= 0 || limit > 2 ** 31 - 1) return undefined;
    return limit;
  }

  override beforeProcessMessage(broker: Broker, message: MessageProxy): void {
    const limit = this.limitFor(broker, message);
    if (limit === undefined) return;
    const timer = setTimeout(() => {
      this.timers.delete(message);
      childLogger(broker, LOGGER).warn(
        `Time limit exceeded. Interrupting message '${message.messageId}' after ${limit} ms.`,
      );
      message.interrupt(new TimeLimitExceeded(`Message ${message.messageId} exceeded its time limit of ${limit} ms.`));
    }, limit);
    this.timers.set(message, timer);
  }

  override afterProcessMessage(_broker: Broker, message: MessageProxy): void {
    this.clear(message);
  }

  override afterSkipMessage(_broker: Broker, message: MessageProxy): void {
    this.clear(message);
  }

  /**
   * A stopping worker interrupts the messages it abandons at its deadline and runs no
   * after-hook for them: drop their timers, which would otherwise fire later (and keep
   * the process alive up to the time limit).
   */
  override afterWorkerShutdown(): void {
    for (const message of [...this.timers.keys()]) if (message.interrupted) this.clear(message);
  }

  private clear(message: MessageProxy): void {
    const timer = this.timers.get(message);
    if (timer) {
      clearTimeout(timer);
      this.timers.delete(message);
    }
  }
}
