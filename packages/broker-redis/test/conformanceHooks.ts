/**
 * The conformance kit's hooks both Redis runs share (one server, and a Redis Cluster): raw
 * bytes written as a producer in another language would, and dead letters as the broker
 * lists them.
 */
import { Message } from "@q/core";
import type { RedisBroker } from "../src";

/** The kit's `injectRaw`: HSET the payload, RPUSH its id (through `broker.client`, so on a Cluster too). */
export async function injectRaw(broker: RedisBroker, queueName: string, data: Buffer): Promise<void> {
  const id = `raw-${Math.random().toString(16).slice(2)}`;
  await broker.client.hset(`${broker.namespace}:${queueName}.msgs`, id, data);
  await broker.client.rpush(`${broker.namespace}:${queueName}`, id);
}

/** The kit's `deadLetters`: `getDeadLetters`, each with its message id when the bytes decode. */
export async function deadLetters(broker: RedisBroker, queueName: string) {
  return (await broker.getDeadLetters(queueName)).map(({ id, data }) => {
    let messageId: string | undefined;
    try {
      messageId = Message.decode(data).messageId;
    } catch {
      messageId = undefined;
    }
    return { messageId, data, reason: `dead-lettered as ${id}` };
  });
}
