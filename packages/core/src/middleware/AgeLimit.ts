import type { Broker } from "../broker/Broker";
import { SkipMessage } from "../errors/SkipMessage";
import { childLogger } from "../logging/childLogger";
import type { MessageProxy } from "../message/MessageProxy";
import { messageOption } from "../options/messageOption";
import { Middleware } from "./Middleware";

const LOGGER = "q.middleware.age_limit.AgeLimit";

/**
 * Dead-letters messages older than `maxAge` ms (counted from the message's creation,
 * which survives retries and delays) instead of running them. Off by default.
 *
 * @example
 * const refreshPrice = actor(fn, { maxAge: 60_000 }); // stale after a minute
 */
export class AgeLimit extends Middleware {
  override readonly actorOptions = ["maxAge"];

  constructor(private readonly options: { maxAge?: number | null } = {}) {
    super();
  }

  override validateActorOptions(options: Readonly<Record<string, unknown>>): string[] {
    const v = options.maxAge;
    return v === undefined || v === null || (typeof v === "number" && v >= 0) ? [] : ["maxAge must be a non-negative number of milliseconds"];
  }

  /**
   * The age limit in ms this middleware enforces for `message` (message option, then actor
   * option, then this middleware's default), or undefined for none. Middleware that holds
   * messages back before they run (rate-limit admission) uses it to stop waiting in time.
   *
   * @example
   * const maxAge = ageLimit.maxAgeFor(broker, message); // e.g. 60000
   * if (maxAge !== undefined) deadline = message.messageTimestamp + maxAge;
   */
  maxAgeFor(broker: Broker, message: MessageProxy): number | undefined {
    const actor = broker.actors.get(message.actorName);
    const maxAge = messageOption<number | null | undefined>(broker, LOGGER, message, actor, "maxAge", this.options.maxAge);
    return maxAge ? maxAge : undefined;
  }

  override beforeProcessMessage(broker: Broker, message: MessageProxy): void {
    const maxAge = this.maxAgeFor(broker, message);
    if (maxAge === undefined) return;
    if (Date.now() - message.messageTimestamp >= maxAge) {
      childLogger(broker, LOGGER).warn(`Message '${message.messageId}' has exceeded its age limit.`);
      message.fail();
      throw new SkipMessage("Message age limit exceeded");
    }
  }
}
