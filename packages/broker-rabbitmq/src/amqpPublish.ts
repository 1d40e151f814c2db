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

/** The private methods {@link publishRaw} uses, with the number of parameters each must declare. */
export const PRIVATE_PUBLISH_API = { sendMessage: 3, pushConfirmCallback: 1 } as const;

/**
 * Internal: whether `channel`'s class has amqplib's private `sendMessage` and
 * `pushConfirmCallback` as written for amqplib 2.x. They are not part of amqplib's API, so
 * a release may change or drop them; then publishes take amqplib's public `publish` instead.
 * Looked up on the class, not the instance: amqplib replaces a closed channel's methods
 * with ones that throw, which is a closed channel, not a changed API. A few property reads
 * per publish, so not cached.
 */
export function hasPrivatePublishApi(channel: amqp.Channel): boolean {
  const proto = Object.getPrototypeOf(channel) as Record<string, unknown> | null;
  if (!proto) return false;
  const { sendMessage, pushConfirmCallback } = proto;
  return (
    typeof sendMessage === "function" &&
    sendMessage.length === PRIVATE_PUBLISH_API.sendMessage &&
    typeof pushConfirmCallback === "function" &&
    pushConfirmCallback.length === PRIVATE_PUBLISH_API.pushConfirmCallback
  );
}

/** `publish` options carrying the same properties as {@link PublishFields} (amqplib adds an empty `headers` table). */
function publicOptions(fields: PublishFields): amqp.Options.Publish {
  const options: amqp.Options.Publish = { mandatory: true, persistent: true };
  if (fields.priority !== undefined) options.priority = fields.priority;
  return options;
}

/**
 * Internal: publishes through amqplib's frame writer directly. `sendToQueue` would add
 * an empty `headers` table to every message (Dramatiq sends none) and build a fresh
 * options object per message; this writes exactly Dramatiq's properties
 * (`delivery_mode=2`, `priority` when set) from one fields object reused per queue.
 * On an amqplib without that private writer it falls back to the public `publish`.
 * Returns false when the channel's write buffer is full (wait for `drain`).
 */
export function publishRaw(channel: amqp.Channel, fields: PublishFields, body: Buffer): boolean {
  if (!hasPrivatePublishApi(channel)) return channel.publish(fields.exchange, fields.routingKey, body, publicOptions(fields));
  return (channel as unknown as RawChannel).sendMessage(fields, fields, body);
}

/** {@link publishRaw} on a confirm channel: `done` gets null once RabbitMQ has the message, else the error. */
export function publishConfirmed(channel: amqp.ConfirmChannel, fields: PublishFields, body: Buffer, done: (err: Error | null) => void): boolean {
  if (!hasPrivatePublishApi(channel)) {
    return channel.publish(fields.exchange, fields.routingKey, body, publicOptions(fields), (err) => done(err ?? null));
  }
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
