import type { Logger, SupervisorChannel } from "@q/core";
import type { SupervisorMessage } from "../protocol";
import { sendToSupervisor } from "./sendToSupervisor";

/**
 * A worker process's end of core's SupervisorChannel: answers the supervisor's
 * `collect` requests with the handler registered for the topic (no value when there is
 * none or it fails), and sends `publish` values to the supervisor.
 */
export function createSupervisorChannel(index: number, logger: Logger): SupervisorChannel {
  const handlers = new Map<string, (request: unknown) => unknown>();
  process.on("message", (m: SupervisorMessage) => {
    if (m?.type !== "collect") return;
    const handler = handlers.get(m.topic);
    if (!handler) return sendToSupervisor({ type: "collected", id: m.id });
    Promise.resolve()
      .then(() => handler(m.request))
      .then(
        (value) => sendToSupervisor({ type: "collected", id: m.id, value }),
        (err: unknown) => {
          logger.warn({ err }, `The collect handler of topic '${m.topic}' failed.`);
          sendToSupervisor({ type: "collected", id: m.id });
        },
      );
  });
  return {
    index,
    onCollect(topic, handler) {
      handlers.set(topic, handler);
    },
    publish(topic, value) {
      return new Promise<void>((resolve) => sendToSupervisor({ type: "publish", topic, value }, resolve));
    },
  };
}
