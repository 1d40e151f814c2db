import { BrokerError } from "./BrokerError";

/**
 * A worker cannot ack or nack a message because the broker already took its delivery
 * back (on RabbitMQ, the channel it came on closed): the message runs again, which is
 * at-least-once as designed, not a failure to act on. The worker logs it as a warning.
 *
 * @example
 * try { await consumer.ack(message) } catch (e) {
 *   if (isQError(e, "Q_DELIVERY_LOST")) console.warn(`${message.messageId} runs again: ${e.message}`)
 * }
 */
export class DeliveryLost extends BrokerError {}
