import type * as amqp from "amqplib";

/** The method fields and properties of one publish, as amqplib's frame encoder reads them. */
export interface PublishFields {
  exchange: "";
  routingKey: string;
  mandatory: true;
  immediate: false;
  deliveryMode: 2;
  priority?: number;
}

interface RawChannel {
  sendMessage(fields: PublishFields, properties: PublishFields, content: Buffer): boolean;
  pushConfirmCallback(cb: (err: Error | null) => void): void;
}

/**
 * Internal: publishes through amqplib's frame writer directly. `sendToQueue` would add
 * an empty `headers` table to every message (Dramatiq sends none) and build a fresh
 * options object per message; this writes exactly Dramatiq's properties
 * (`delivery_mode=2`, `priority` when set) from one fields object reused per queue.
 * Returns false when the channel's write buffer is full (wait for `drain`).
 */
export function publishRaw(channel: amqp.Channel, fields: PublishFields, body: Buffer): boolean {
  return (channel as unknown as RawChannel).sendMessage(fields, fields, body);
}

/** {@link publishRaw} on a confirm channel: `done` gets null once RabbitMQ has the message, else the error. */
export function publishConfirmed(channel: amqp.ConfirmChannel, fields: PublishFields, body: Buffer, done: (err: Error | null) => void): boolean {
  const raw = channel as unknown as RawChannel;
  const written = raw.sendMessage(fields, fields, body);
  raw.pushConfirmCallback(done);
  return written;
}

/** Fields for a persistent, mandatory publish to `queue` on the default exchange. */
export function publishFields(queue: string, priority?: number): PublishFields {
  const fields: PublishFields = { exchange: "", routingKey: queue, mandatory: true, immediate: false, deliveryMode: 2 };
  if (priority !== undefined) fields.priority = priority;
  return fields;
}
