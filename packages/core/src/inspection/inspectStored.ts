import { qName } from "../broker/queueNames";
import { Message } from "../message/Message";
import type { InspectedMessage } from "./InspectedMessage";
import type { QueuePart } from "./QueuePart";

/**
 * Broker-author helper: what an inspector shows of one stored message, decoded where the
 * bytes decode. `fallbackId` names an undecodable payload (the broker's own key for it), so
 * the actions can still reach it.
 *
 * @example
 * const shown = inspectStored(data, { queueName: "default", part: "dead", deadAt: score, fallbackId: redisId });
 */
export function inspectStored(
  data: Buffer,
  at: { queueName: string; part: QueuePart; deadAt?: number; inFlight?: boolean; fallbackId: string },
): InspectedMessage {
  const base = { queueName: qName(at.queueName), part: at.part, data, deadAt: at.deadAt, inFlight: at.inFlight };
  let message: Message;
  try {
    message = Message.decode(data);
  } catch (error) {
    return { ...base, messageId: at.fallbackId, retries: 0, decodeError: (error as Error).message };
  }
  const { eta, retries, traceback } = message.options;
  return {
    ...base,
    messageId: message.messageId,
    message,
    enqueuedAt: message.messageTimestamp,
    eta: typeof eta === "number" ? eta : undefined,
    retries: typeof retries === "number" ? retries : 0,
    lastError: typeof traceback === "string" ? traceback : undefined,
  };
}

/**
 * Broker-author helper: the message a requeued dead letter becomes: on its canonical queue,
 * `retries` back to 0, no `eta` nor the last `traceback`, same id and timestamp.
 *
 * @example
 * const again = requeuedCopy(Message.decode(deadBytes));
 */
export function requeuedCopy(message: Message): Message {
  const options: Record<string, unknown> = { ...message.options, retries: 0 };
  delete options.eta;
  delete options.traceback;
  return message.copy({ queueName: qName(message.queueName), replaceOptions: Object.freeze(options) });
}
