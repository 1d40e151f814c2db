import { createHash } from "node:crypto";
import {
  type InspectedMessage,
  type InspectorCapabilities,
  Message,
  type MessagePage,
  MessageNotFound,
  type ListMessagesOptions,
  type MessageProxy,
  type QueueInspector,
  type QueuePart,
  type QueueSummary,
  QUEUE_PARTS,
  type WorkerSummary,
} from "@q/core";
import { checkPart, dqName, inspectStored, qName, readPage, requeuedCopy } from "@q/core/broker";
import type { StubBroker } from "./StubBroker";

/** One dead entry of a canonical queue: a nacked delivery (of the queue or its delay queue) or a poison payload. */
interface DeadEntry {
  shown: InspectedMessage;
  remove(): void;
}

/**
 * Internal: the stub broker's inspector. Reads the in-memory stores directly; every action
 * is synchronous under the hood, so nothing can move between its check and its change.
 */
export class StubInspector implements QueueInspector {
  readonly capabilities: InspectorCapabilities = Object.freeze({
    listable: QUEUE_PARTS,
    deletable: QUEUE_PARTS,
    workers: false,
    notes: Object.freeze(["The stub broker keeps everything in memory: every part is listed as it is, messages held by a consumer included."]),
  });

  constructor(private readonly broker: StubBroker) {}

  async listQueues(options: { include?: readonly string[] } = {}): Promise<QueueSummary[]> {
    const declared = new Set(this.broker.getDeclaredQueues());
    const names = new Set([...declared, ...(options.include ?? []).map(qName)]);
    const out: QueueSummary[] = [];
    for (const name of [...names].sort()) {
      const queue = this.broker.storeOf(name);
      const delayed = this.broker.storeOf(dqName(name));
      const inFlight = this.broker.heldOn(name).length;
      out.push({
        name,
        pending: (queue?.size ?? 0) + inFlight,
        delayed: delayed?.unfinished ?? 0,
        deadLetters: this.dead(name).length,
        inFlight,
        declared: declared.has(name),
      });
    }
    return out;
  }

  async listMessages(queueName: string, part: QueuePart, options?: ListMessagesOptions): Promise<MessagePage> {
    const { limit, offset } = readPage(part, options);
    const all = this.shown(qName(queueName), part);
    const end = offset + limit;
    return { messages: all.slice(offset, end), next: end < all.length ? String(end) : undefined, total: all.length };
  }

  async getMessage(queueName: string, messageId: string): Promise<InspectedMessage | undefined> {
    const name = qName(queueName);
    for (const part of QUEUE_PARTS) {
      const found = this.shown(name, part).find((m) => m.messageId === messageId);
      if (found) return found;
    }
    return undefined;
  }

  async requeue(queueName: string, messageId: string): Promise<Message> {
    const name = qName(queueName);
    const entry = this.dead(name).find((e) => e.shown.messageId === messageId);
    if (!entry) throw notFound(messageId, `is not a dead letter of ${name}`);
    if (!entry.shown.message) throw notFound(messageId, `does not decode (${entry.shown.decodeError}); delete it instead`);
    const again = requeuedCopy(entry.shown.message);
    entry.remove();
    this.broker.enqueueRaw(name, again.encode());
    return again;
  }

  async requeueAll(queueName: string): Promise<number> {
    const name = qName(queueName);
    let moved = 0;
    for (const entry of this.dead(name)) {
      if (!entry.shown.message) continue;
      entry.remove();
      this.broker.enqueueRaw(name, requeuedCopy(entry.shown.message).encode());
      moved++;
    }
    return moved;
  }

  async deleteMessage(queueName: string, part: QueuePart, messageId: string): Promise<void> {
    checkPart(part);
    const name = qName(queueName);
    if (part === "dead") {
      const entry = this.dead(name).find((e) => e.shown.messageId === messageId);
      if (!entry) throw notFound(messageId, `is not a dead letter of ${name}`);
      entry.remove();
      return;
    }
    const storeName = part === "queue" ? name : dqName(name);
    const removed = this.broker.storeOf(storeName)?.remove((data) => idOf(data) === messageId);
    if (!removed) throw notFound(messageId, `is not waiting on ${storeName}${this.broker.heldOn(storeName).some((m) => m.messageId === messageId) ? " (a consumer holds it)" : ""}`);
  }

  async purge(queueName: string, part: QueuePart): Promise<number> {
    checkPart(part);
    const name = qName(queueName);
    if (part === "dead") {
      const dead = this.dead(name);
      for (const entry of dead) entry.remove();
      return dead.length;
    }
    const store = this.broker.storeOf(part === "queue" ? name : dqName(name));
    const count = store?.size ?? 0;
    store?.clear();
    return count;
  }

  async listWorkers(): Promise<WorkerSummary[] | undefined> {
    return undefined;
  }

  async close(): Promise<void> {}

  /** A part's messages in the order a worker would get them (held ones first: they were taken first). */
  private shown(name: string, part: QueuePart): InspectedMessage[] {
    if (part === "dead") return this.dead(name).map((e) => e.shown);
    const storeName = part === "queue" ? name : dqName(name);
    const held = this.broker.heldOn(storeName).map((m) => stored(m, name, part, true));
    const waiting = (this.broker.storeOf(storeName)?.waiting() ?? []).map((data) =>
      inspectStored(data, { queueName: name, part, inFlight: false, fallbackId: idOf(data) }),
    );
    return [...held, ...waiting];
  }

  /** The dead entries of a canonical queue, oldest first. */
  private dead(name: string): DeadEntry[] {
    const entries: { at: number; entry: DeadEntry }[] = [];
    for (const source of [name, dqName(name)]) {
      const list = this.broker.deadLettersByQueue.get(source) ?? [];
      for (const proxy of list) {
        entries.push({
          at: this.broker.deadAt(proxy) ?? 0,
          entry: { shown: { ...stored(proxy, name, "dead", false), deadAt: this.broker.deadAt(proxy) }, remove: () => removeItem(list, proxy) },
        });
      }
    }
    for (const poison of this.broker.poisonMessages.filter((p) => qName(p.queueName) === name)) {
      const at = this.broker.deadAt(poison);
      const shown = inspectStored(poison.data, { queueName: name, part: "dead", deadAt: at, fallbackId: poison.id });
      entries.push({ at: at ?? 0, entry: { shown: { ...shown, messageId: poison.id, decodeError: poison.reason }, remove: () => removeItem(this.broker.poisonMessages, poison) } });
    }
    return entries.sort((a, b) => a.at - b.at).map((e) => e.entry);
  }
}

function stored(proxy: MessageProxy, queueName: string, part: QueuePart, inFlight: boolean): InspectedMessage {
  return inspectStored(proxy.raw ?? proxy.message.encode(), { queueName, part, inFlight, fallbackId: proxy.messageId });
}

/** The message id, or for bytes that do not decode a digest of them (stable, so actions can name them). */
function idOf(data: Buffer): string {
  try {
    return Message.decode(data).messageId;
  } catch {
    return `sha1-${createHash("sha1").update(data).digest("hex")}`;
  }
}

function removeItem<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}

function notFound(messageId: string, why: string): MessageNotFound {
  return new MessageNotFound(`Message ${messageId} ${why}: it was processed, requeued, deleted or moved meanwhile. Nothing was changed.`, { messageId });
}
