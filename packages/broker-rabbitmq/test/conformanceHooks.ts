/**
 * The conformance kit's hooks both RabbitMQ runs share (classic queues on the shared server,
 * quorum queues on a dedicated node): dead letters read from `.XQ` as a Python peer would,
 * and a broker's queues deleted after its case.
 */
import { Message } from "@q/core";
import type { RabbitmqBroker } from "../src";
import type { PythonSide } from "./pythonSide";

/** The kit's `deadLetters`: what `q.XQ` holds, with the `x-death` reason RabbitMQ gave. */
export function xqDeadLetters(python: () => PythonSide) {
  return async (_broker: RabbitmqBroker, queueName: string) =>
    (await python().settled(`${queueName}.XQ`)).map(({ body, properties }) => {
      let messageId: string | undefined;
      try {
        messageId = Message.decode(body).messageId;
      } catch {
        messageId = undefined;
      }
      const death = (properties.headers?.["x-death"] as { reason?: string; queue?: string }[] | undefined)?.[0];
      return { messageId, data: body, reason: death ? `${death.reason} from ${death.queue}` : undefined };
    });
}

/** The kit's `destroyBroker`: closes the broker and deletes every queue it declared. */
export function closeAndDelete(python: () => PythonSide) {
  return async (broker: RabbitmqBroker) => {
    await broker.close();
    for (const queue of broker.getDeclaredQueues()) await python().deleteAll(queue);
  };
}
