import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  ArgumentError,
  type InspectedMessage,
  type InspectorCapabilities,
  InspectionUnsupported,
  type ListMessagesOptions,
  type Message,
  MessageNotFound,
  type MessagePage,
  type QueueInspector,
  type QueuePart,
  type QueueSummary,
  type WorkerSummary,
} from "@q/core";
import { QUEUE_NAME_PATTERN, checkPart, dqName, inspectStored, qName, readPage, requeuedCopy, settleWithin, xqName } from "@q/core/broker";
import type * as amqp from "amqplib";
import { BUCKET_SECONDS, bucketQueueName } from "./delayBuckets";
import type { RabbitmqBroker } from "./RabbitmqBroker";
import { QueueProbe } from "./QueueProbe";
import { deathTime } from "./deathTime";
import { refuseWornReads } from "./quorumReadGuard";
import { amqpReplyCode, translateAmqpError } from "./translateAmqpError";

/**
 * Most dead letters one call takes off `q.XQ` (and holds unacked) to read them. A page
 * further down, or a lookup in a longer queue (a whole quorum queue is read every time, see
 * {@link RabbitmqInspector}), is refused with InspectionUnsupported instead of holding more.
 */
export const MAX_DEAD_LETTERS_READ = 10_000;

/** Dead letters requeued per batch by `requeueAll` (published with confirms, then acked). */
const REQUEUE_BATCH = 100;

const NOTES: readonly string[] = Object.freeze([
  "Counts come from passive queue declarations: pending is the messages ready on the queue, delayed those on its delay queue and the delay buckets this process has used, dead letters those on its .XQ queue.",
  "RabbitMQ does not tell how many messages workers hold unacked, so in-flight counts are unknown and a held message is in none of the counts.",
  "A queue and its delay queue cannot be read without taking their messages from the workers that consume them, so only dead letters are listed.",
  "Dead letters are read by taking them off the .XQ queue and giving them back in the same order; they come back marked redelivered, and on quorum queues before RabbitMQ 4.3 their x-delivery-count goes up by one per read (on 4.0 to 4.2 listing stops after 15 reads of one dead letter, before RabbitMQ's default delivery limit could drop it).",
  "Only dead letters can be deleted one by one; purge empties the queue, the delay queue (with every delay bucket) or the dead letters.",
]);

interface Held {
  readonly delivery: amqp.GetMessage;
  readonly shown: InspectedMessage;
}

/**
 * The {@link QueueInspector} of a {@link RabbitmqBroker} (`broker.inspect()`), over plain AMQP:
 * no management plugin needed.
 *
 * Counts are passive declares (a queue missing on the server counts zero and is not created).
 * Dead letters are read from `q.XQ` on a channel of the inspector's own: `basic.get` without
 * ack, then every message is nacked with requeue, which puts it back where it was. Classic
 * queues keep a requeued message's position, so a page reads only `offset + limit` of them.
 * A quorum queue (RabbitMQ 3.10) puts requeued messages behind those requeued earlier, so a
 * partial read would reorder it: there every call reads the whole queue (as counted at its
 * start) and gives all of it back in order. One reader at a time per queue in this process.
 *
 * Requeue publishes the copy with a publisher confirm and acks the dead letter only after it;
 * if the connection drops between the two, the dead letter comes back too (at least once).
 *
 * @example
 * const inspector = broker.inspect();
 * const page = await inspector.listMessages("emails", "dead", { limit: 20 });
 * for (const m of page.messages) console.log(m.messageId, m.message?.actorName, m.lastError);
 * await inspector.requeueAll("emails");
 */
export class RabbitmqInspector implements QueueInspector {
  readonly capabilities: InspectorCapabilities = Object.freeze({
    listable: Object.freeze(["dead"] as QueuePart[]),
    deletable: Object.freeze(["dead"] as QueuePart[]),
    workers: false,
    notes: NOTES,
  });

  private readonly channels = new Set<amqp.Channel>();

  /** Most dead letters one call holds; see {@link MAX_DEAD_LETTERS_READ}. */
  private readonly maxRead: number;

  /** Made by `broker.inspect()`; `maxRead` is for tests. */
  constructor(
    private readonly broker: RabbitmqBroker,
    options: { maxRead?: number } = {},
  ) {
    this.maxRead = options.maxRead ?? MAX_DEAD_LETTERS_READ;
  }

  async listQueues(options: { include?: readonly string[] } = {}): Promise<QueueSummary[]> {
    const declared = new Set(this.broker.getDeclaredQueues().map(qName));
    const include = (options.include ?? []).map((name) => canonical(name, "listQueues"));
    const names = [...new Set([...declared, ...include])].sort();
    const out: QueueSummary[] = [];
    const probe = new QueueProbe(this);
    try {
      for (const name of names) {
        const buckets = this.broker.knownBuckets(name);
        const [queue, delayed, dead] = [await probe.count(name), await probe.count(dqName(name)), await probe.count(xqName(name))];
        let inBuckets = 0;
        for (const bucket of buckets) inBuckets += (await probe.count(bucket)).messageCount;
        out.push({
          name,
          pending: queue.messageCount,
          delayed: delayed.messageCount + inBuckets,
          deadLetters: dead.messageCount,
          consumers: queue.consumerCount,
          declared: declared.has(name),
        });
      }
    } finally {
      await probe.close();
    }
    return out;
  }

  async listMessages(queueName: string, part: QueuePart, options?: ListMessagesOptions): Promise<MessagePage> {
    const { limit, offset } = readPage(part, options);
    this.checkListable(part);
    const end = offset + limit;
    return this.readDeadLetters(canonical(queueName, "listMessages"), { upTo: end, readOnly: true }, async (held, total) => {
      const messages = held.slice(offset, end).map((h) => h.shown);
      return { messages, next: held.length >= end && end < total ? String(end) : undefined, total };
    });
  }

  async getMessage(queueName: string, messageId: string): Promise<InspectedMessage | undefined> {
    checkId(messageId);
    return this.readDeadLetters(canonical(queueName, "getMessage"), { find: messageId, readOnly: true }, async (held) => found(held, messageId)?.shown);
  }

  async requeue(queueName: string, messageId: string): Promise<Message> {
    checkId(messageId);
    const q = canonical(queueName, "requeue");
    return this.readDeadLetters(q, { find: messageId }, async (held, _total, ack) => {
      const hit = found(held, messageId);
      if (!hit) throw notFound(q, messageId);
      if (!hit.shown.message) {
        throw new InspectionUnsupported(
          `Dead letter ${messageId} of ${q} does not decode (${hit.shown.decodeError}), so it cannot be requeued; delete it instead. Nothing was changed.`,
        );
      }
      const copy = requeuedCopy(hit.shown.message);
      await this.broker.publishConfirmed(copy);
      ack(hit);
      return copy;
    });
  }

  async requeueAll(queueName: string): Promise<number> {
    const q = canonical(queueName, "requeueAll");
    return this.serialised(q, () =>
      this.withChannel(async (channel) => {
        const xq = xqName(q);
        const total = await deadLetterCount(channel, xq);
        if (total === undefined) return 0;
        let moved = 0;
        let taken = 0;
        try {
          let exhausted = false;
          while (taken < total && !exhausted) {
            const batch: Held[] = [];
            while (batch.length < REQUEUE_BATCH && taken < total) {
              const delivery = await get(channel, xq);
              if (!delivery) {
                exhausted = true; // fewer than counted: expired, or taken by a reader elsewhere
                break;
              }
              taken++;
              const held = { delivery, shown: show(q, delivery) };
              // An undecodable dead letter stays, held unacked until the end so the next batch does not take it again.
              if (held.shown.message) batch.push(held);
            }
            const results = await Promise.allSettled(batch.map((h) => this.broker.publishConfirmed(requeuedCopy(h.shown.message!))));
            let failure: unknown;
            for (const [i, result] of results.entries()) {
              if (result.status === "fulfilled") {
                // Only once RabbitMQ confirmed the copy does the dead letter go.
                channel.ack(batch[i]!.delivery);
                moved++;
              } else {
                failure ??= result.reason;
              }
            }
            if (failure !== undefined) throw failure;
          }
        } finally {
          await giveBack(channel, xq, total - moved);
        }
        return moved;
      }),
    );
  }

  async deleteMessage(queueName: string, part: QueuePart, messageId: string): Promise<void> {
    checkPart(part);
    if (part !== "dead") {
      throw new InspectionUnsupported(
        `RabbitMQ cannot delete one message from ${part === "queue" ? "a queue" : "a delay queue"} that workers consume without taking it from them; only dead letters can be deleted one by one (purge empties a whole part). Nothing was changed.`,
      );
    }
    checkId(messageId);
    const q = canonical(queueName, "deleteMessage");
    await this.readDeadLetters(q, { find: messageId }, async (held, _total, ack) => {
      const hit = found(held, messageId);
      if (!hit) throw notFound(q, messageId);
      ack(hit);
    });
  }

  async purge(queueName: string, part: QueuePart): Promise<number> {
    checkPart(part);
    const q = canonical(queueName, "purge");
    const names = part === "queue" ? [q] : part === "delayed" ? [dqName(q), ...BUCKET_SECONDS.map((s) => bucketQueueName(q, s))] : [xqName(q)];
    const run = async () => {
      const probe = new QueueProbe(this);
      try {
        let removed = 0;
        for (const name of names) removed += await probe.purge(name);
        return removed;
      } finally {
        await probe.close();
      }
    };
    // Dead letters a reader holds would come back after the purge: wait for it.
    return part === "dead" ? this.serialised(q, run) : run();
  }

  async listWorkers(): Promise<WorkerSummary[] | undefined> {
    return undefined;
  }

  /** Closes the channels it has open (a reader's messages go back to their queue); a later call opens new ones. */
  async close(): Promise<void> {
    const open = [...this.channels];
    this.channels.clear();
    await Promise.all(open.map((channel) => closeChannel(channel)));
  }

  /** @internal A fresh channel of the inspector's own, on the broker's consumer connection. */
  async openChannel(): Promise<amqp.Channel> {
    const connection = await this.broker.connections.connection(this.broker.publishTimeout);
    let channel: amqp.Channel;
    try {
      channel = await connection.createChannel();
    } catch (error) {
      throw translateAmqpError(error, "opening a channel");
    }
    // Errors reach the operation that caused them (a rejected call); the event must have a listener.
    channel.on("error", () => undefined);
    channel.on("close", () => this.channels.delete(channel));
    this.channels.add(channel);
    return channel;
  }

  /** @internal Closes one of its channels (bounded). */
  async releaseChannel(channel: amqp.Channel): Promise<void> {
    this.channels.delete(channel);
    await closeChannel(channel);
  }

  private checkListable(part: QueuePart): void {
    if (this.capabilities.listable.includes(part)) return;
    throw new InspectionUnsupported(
      `RabbitMQ cannot list the messages of ${part === "queue" ? "a queue" : "a delay queue"}: workers consume it, and reading it would take its messages from them. ` +
        "Only dead letters (part \"dead\") can be listed; listQueues shows the counts of every part.",
    );
  }

  /**
   * Takes dead letters off `q.XQ` on a channel of its own (unacked), runs `fn` on them, then
   * gives back every one `fn` did not ack, in order. Reads `upTo` messages, or until the one
   * with id `find` (classic queues); the whole queue as counted at the start on quorum queues.
   */
  private readDeadLetters<T>(
    q: string,
    want: { upTo?: number; find?: string; readOnly?: boolean },
    fn: (held: Held[], total: number, ack: (held: Held) => void) => Promise<T>,
  ): Promise<T> {
    return this.serialised(q, () =>
      this.withChannel(async (channel) => {
        const xq = xqName(q);
        const total = await deadLetterCount(channel, xq);
        if (total === undefined) return fn([], 0, () => undefined);
        const quorum = this.broker.queueType === "quorum";
        // A classic queue is read as far as needed (bounded); a quorum queue always whole.
        const n = quorum ? total : Math.min(total, want.upTo ?? total, this.maxRead);
        const tooMany = () =>
          new InspectionUnsupported(
            `${xq} holds ${total} dead letters; ${quorum ? "reading a quorum queue takes all of them" : want.find === undefined ? `this page needs the first ${want.upTo}` : `${want.find} is not among the first ${this.maxRead}`}, ` +
              `and the inspector holds at most ${this.maxRead} at once. Requeue or purge them (requeueAll, purge), or read them with a consumer of your own. Nothing was changed.`,
          );
        if ((quorum && total > this.maxRead) || (want.upTo !== undefined && want.upTo > this.maxRead && total > this.maxRead)) throw tooMany();
        const held: Held[] = [];
        let acked = 0;
        try {
          while (held.length < n) {
            const delivery = await get(channel, xq);
            if (!delivery) break;
            const shown = show(q, delivery);
            held.push({ delivery, shown });
            if (want.find !== undefined && shown.messageId === want.find && !quorum) break;
          }
          if (want.find !== undefined && total > n && !held.some((h) => h.shown.messageId === want.find)) throw tooMany();
          if (want.readOnly && quorum) refuseWornReads(channel, xq, held);
          return await fn(held, total, (h) => {
            channel.ack(h.delivery);
            acked++;
          });
        } finally {
          if (held.length > 0) await giveBack(channel, xq, total - acked);
        }
      }),
    );
  }

  private async withChannel<T>(fn: (channel: amqp.Channel) => Promise<T>): Promise<T> {
    const channel = await this.openChannel();
    try {
      return await fn(channel);
    } catch (error) {
      throw translateAmqpError(error, "reading dead letters");
    } finally {
      await this.releaseChannel(channel);
    }
  }

  /**
   * Runs `fn` after every earlier reader of `q` in this process has finished, whichever broker
   * (of the same server URLs) it reads through.
   */
  private serialised<T>(q: string, fn: () => Promise<T>): Promise<T> {
    const key = `${this.broker.urls.join(";")}\n${q}`;
    const before = READERS.get(key) ?? Promise.resolve();
    const run = before.then(fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    READERS.set(key, tail);
    void tail.then(() => {
      if (READERS.get(key) === tail) READERS.delete(key);
    });
    return run;
  }
}

/** The last reader of each queue in this process (its server URLs and name), for {@link RabbitmqInspector.serialised}. */
const READERS = new Map<string, Promise<void>>();

/** The ready count of `xq`, or undefined when it does not exist (the channel is then closed). */
async function deadLetterCount(channel: amqp.Channel, xq: string): Promise<number | undefined> {
  try {
    return (await channel.checkQueue(xq)).messageCount;
  } catch (error) {
    if (amqpReplyCode(error) === 404) return undefined;
    throw error;
  }
}

async function get(channel: amqp.Channel, queue: string): Promise<amqp.GetMessage | undefined> {
  const delivery = await channel.get(queue, { noAck: false });
  return delivery === false ? undefined : delivery;
}

/**
 * Nacks every delivery still unacked on `channel` with requeue: RabbitMQ puts them back in
 * order. A quorum queue applies the requeue a little later (Raft), so this waits (up to 2 s)
 * until `xq` holds `expected` ready messages again: the next count or read sees them back.
 */
async function giveBack(channel: amqp.Channel, xq: string, expected: number): Promise<void> {
  try {
    channel.nackAll(true);
  } catch {
    return; // the channel is gone: RabbitMQ has put its unacked messages back already
  }
  const deadline = Date.now() + 2000;
  try {
    while ((await channel.checkQueue(xq)).messageCount < expected && Date.now() < deadline) await sleep(5);
  } catch {
    // the channel or the queue went away meanwhile: nothing more to wait for
  }
}

/** What the inspector shows of one dead letter, with the time of its last death from `x-death`. */
function show(q: string, delivery: amqp.GetMessage): InspectedMessage {
  const { headers, messageId } = delivery.properties;
  const fallbackId =
    typeof messageId === "string" && messageId !== "" ? messageId : `sha1:${createHash("sha1").update(delivery.content).digest("hex")}`;
  return inspectStored(delivery.content, { queueName: q, part: "dead", deadAt: deathTime(headers), fallbackId });
}

function found(held: readonly Held[], messageId: string): Held | undefined {
  return held.find((h) => h.shown.messageId === messageId);
}

function notFound(q: string, messageId: string): MessageNotFound {
  return new MessageNotFound(`No dead letter ${messageId} in ${xqName(q)} (requeued, deleted or expired meanwhile?). Nothing was changed.`, { messageId });
}

function canonical(queueName: string, what: string): string {
  if (typeof queueName !== "string" || !QUEUE_NAME_PATTERN.test(queueName)) {
    throw new ArgumentError(`${what}: not a queue name: ${JSON.stringify(queueName)}.`);
  }
  return qName(queueName);
}

function checkId(messageId: string): void {
  if (typeof messageId !== "string" || messageId === "") throw new ArgumentError(`A message id must be a non-empty string, got ${JSON.stringify(messageId)}.`);
}

async function closeChannel(channel: amqp.Channel): Promise<void> {
  try {
    await settleWithin(channel.close(), 2000);
  } catch {
    // already closed
  }
}
