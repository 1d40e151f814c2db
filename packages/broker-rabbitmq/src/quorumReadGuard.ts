import { type InspectedMessage, InspectionUnsupported } from "@q/core";
import type * as amqp from "amqplib";

/**
 * The `x-delivery-count` from which reading a quorum `.XQ` is refused, for a server version:
 * RabbitMQ 4.0 to 4.2 count every requeue as a delivery and drop a message past a quorum
 * queue's delivery limit (20 by default there; `.XQ` has no dead-letter target), so repeated
 * reads would make a dead letter vanish. Before 4.0 quorum queues have no default limit (this
 * broker declares `.XQ` without one); from 4.3 a `basic.nack` with requeue no longer counts.
 * An unknown version gets the guard too.
 */
export function quorumReadGuard(version: string | undefined): number | undefined {
  const match = /^(\d+)\.(\d+)/.exec(version ?? "");
  if (!match) return QUORUM_READ_GUARD;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major === 4 && minor < 3 ? QUORUM_READ_GUARD : undefined;
}

/** Well below RabbitMQ 4.0–4.2's default quorum delivery limit of 20: room for the actions that remove the message. */
const QUORUM_READ_GUARD = 15;

/** Refuses (InspectionUnsupported, the messages go back) a read that would bring a dead letter close to the server's delivery limit. */
export function refuseWornReads(channel: amqp.Channel, xq: string, held: readonly { delivery: amqp.GetMessage; shown: InspectedMessage }[]): void {
  const guard = quorumReadGuard(channel.connection?.serverProperties?.version);
  if (guard === undefined) return;
  const worn = held.find((h) => Number(h.delivery.properties.headers?.["x-delivery-count"] ?? 0) >= guard);
  if (!worn) return;
  throw new InspectionUnsupported(
    `Dead letter ${worn.shown.messageId} of ${xq} has been read ${String(worn.delivery.properties.headers?.["x-delivery-count"])} times; ` +
      `this RabbitMQ (${channel.connection?.serverProperties?.version ?? "unknown version"}) counts every read of a quorum queue as a delivery and drops a message past its delivery limit (20 by default), ` +
      "so the inspector does not read it again: requeue, delete or purge the dead letters (RabbitMQ 4.3 and later do not count these reads). Nothing was changed.",
  );
}

