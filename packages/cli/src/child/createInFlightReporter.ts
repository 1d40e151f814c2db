import type { Broker, Logger, Middleware, MessageProxy } from "@q/core";
import type { Core } from "../modules/loadCore";
import { sendToSupervisor } from "./sendToSupervisor";

interface LimitSource {
  limitFor(broker: Broker, message: MessageProxy): number | undefined;
}

/**
 * The worker process's middleware for the supervisor's watchdog: reports each message's
 * start with its time-limit deadline and its end. And a message whose earlier delivery
 * blocked a process past its time limit (the supervisor killed that process) fails at
 * once with TimeLimitExceeded instead of running again: Retries then retries it with
 * backoff, or dead-letters it once its retries are spent.
 *
 * Made from the user's copy of @q/core, so the broker sees one of its own middleware.
 */
export function createInFlightReporter(core: Core, timeLimitKilled: Set<string>, logger: Logger): Middleware {
  class InFlightReporter extends core.Middleware {
    private limits: LimitSource | null | undefined;

    override beforeProcessMessage(broker: Broker, message: MessageProxy): void {
      const id = message.messageId;
      if (timeLimitKilled.delete(id)) {
        logger.warn(`Message '${id}' blocked a worker process past its time limit before; failing it with TimeLimitExceeded instead of running it again.`);
        message.interrupt(new core.TimeLimitExceeded(`Message ${id} blocked its worker process past its time limit; the process was killed.`));
        return;
      }
      // Any middleware with limitFor (TimeLimit, from whichever copy of @q/core).
      this.limits ??= (broker.middleware.find((m) => typeof (m as Partial<LimitSource>).limitFor === "function") as LimitSource | undefined) ?? null;
      const limit = this.limits?.limitFor(broker, message);
      if (limit !== undefined) sendToSupervisor({ type: "started", id, deadline: Date.now() + limit, limit });
    }

    override afterProcessMessage(_broker: Broker, message: MessageProxy): void {
      sendToSupervisor({ type: "finished", id: message.messageId });
    }

    override afterSkipMessage(_broker: Broker, message: MessageProxy): void {
      sendToSupervisor({ type: "finished", id: message.messageId });
    }
  }
  return new InFlightReporter();
}
