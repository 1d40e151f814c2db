import type { Broker } from "../broker/Broker";
import { Shutdown } from "../errors/Shutdown";
import { childLogger } from "../logging/childLogger";
import type { MessageProxy } from "../message/MessageProxy";
import { messageOption } from "../options/messageOption";
import { Middleware } from "./Middleware";

/**
 * When the worker shuts down, aborts the signal of running messages whose actor (or
 * message) has `notifyShutdown`, with {@link Shutdown} as the reason; they then fail
 * (and are retried). Other actors are left to finish within the stop timeout.
 *
 * @example
 * const longJob = actor(async function longJob() {
 *   const signal = currentSignal(); // at the start of the function
 *   while (!signal.aborted) await step();
 * }, { notifyShutdown: true });
 */
export class ShutdownNotifications extends Middleware {
  override readonly actorOptions = ["notifyShutdown"];
  private readonly running = new Set<MessageProxy>();

  constructor(private readonly options: { notifyShutdown?: boolean } = {}) {
    super();
  }

  override beforeProcessMessage(broker: Broker, message: MessageProxy): void {
    const actor = broker.actors.get(message.actorName);
    const notify = messageOption(broker, "q.middleware.shutdown.ShutdownNotifications", message, actor, "notifyShutdown", this.options.notifyShutdown ?? false);
    if (notify) this.running.add(message);
  }

  override afterProcessMessage(_broker: Broker, message: MessageProxy): void {
    this.running.delete(message);
  }

  override afterSkipMessage(_broker: Broker, message: MessageProxy): void {
    this.running.delete(message);
  }

  /** Messages abandoned at a stop deadline never reach afterProcessMessage: forget them. */
  override afterWorkerShutdown(): void {
    this.running.clear();
  }

  override beforeWorkerShutdown(broker: Broker): void {
    for (const message of this.running) {
      childLogger(broker, "q.middleware.shutdown.ShutdownNotifications").info(
        `Worker shutdown notification. Interrupting message '${message.messageId}'.`,
      );
      message.interrupt(new Shutdown("Worker is shutting down."));
    }
  }
}
