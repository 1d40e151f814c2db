/**
 * The conformance kit's hooks both RabbitMQ runs share (classic queues on the shared server,
 * quorum queues on a dedicated node): dead letters read from `.XQ` as a Python peer would,
 * and a broker's queues deleted after its case.
 */
import * as amqp from "amqplib";
import { Message } from "@q/core";
import type { RabbitmqBroker } from "../src";
import { QUEUE_FLAGS } from "../src/queueArguments";
import { PythonSide } from "./pythonSide";

/**
 * For a file on a dedicated node: a Python-side connection and an admin connection, opened in
 * `beforeAll` and closed in `afterAll`, and the kit's `injectRaw` writing raw bytes into
 * queues declared exactly as the broker declares them (quorum arguments included).
 */
export function useNodeSides(url: () => string) {
  let python: PythonSide;
  let admin: amqp.ChannelModel;
  beforeAll(async () => {
    python = await PythonSide.connect(url());
    admin = await amqp.connect(url());
    admin.on("error", () => undefined);
  });
  afterAll(async () => {
    // Jest may run the node's own afterAll (which stops it) first.
    await python?.close();
    await admin?.close().catch(() => undefined);
  });
  return {
    python: () => python,
    async injectRaw(broker: RabbitmqBroker, queueName: string, data: Buffer): Promise<void> {
      const channel = await admin.createChannel();
      for (const { name, args } of broker.queueSet(queueName).queues) await channel.assertQueue(name, { ...QUEUE_FLAGS, arguments: args });
      await channel.close();
      await python.publish(queueName, data);
    },
  };
}

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
