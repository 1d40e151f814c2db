import {
  type InspectedMessage,
  type InspectorCapabilities,
  type ListMessagesOptions,
  Message,
  MessageNotFound,
  type MessagePage,
  QUEUE_PARTS,
  type QueueInspector,
  type QueuePart,
  type QueueSummary,
  type WorkerSummary,
} from "@q/core";
import { checkPart, inspectStored, qName, readPage, requeuedCopy, uuid4 } from "@q/core/broker";
import type { RedisBroker } from "./RedisBroker";
import type { ScriptRunner } from "./ScriptRunner";
import { INSPECT_LUA } from "./inspectLua";

/** Messages read per script call while searching for an id, requeueing all or purging. */
const BATCH = 500;
/** Message ids remembered with their stored (redis_message_id) key, so an action after a listing finds its message at once. */
const REMEMBERED = 10_000;

/** One stored message as the script returns it. */
interface Stored {
  key: string;
  part: QueuePart;
  data: Buffer;
  held: boolean;
  score?: number;
}

/**
 * Internal: the Redis broker's inspector (see `RedisBroker.inspect()`). Every read is one
 * Lua script call (a consistent snapshot) and every action a script that checks the message
 * is still where it was and moves it in the same step; all of it goes through the broker's
 * connection, with its timeouts, reconnects and Cluster handling. Messages are stored under
 * their `redis_message_id`; the actions take the Dramatiq `message_id`, found through the
 * listings this inspector made (remembered, bounded) or by reading the part in batches.
 */
export class RedisInspector implements QueueInspector {
  readonly capabilities: InspectorCapabilities = Object.freeze({
    listable: QUEUE_PARTS,
    deletable: QUEUE_PARTS,
    workers: true,
    notes: Object.freeze([
      "Read with atomic scripts on Dramatiq's keys: queues of Python Dramatiq workers on the same namespace are shown and repaired too.",
      "A queue's pending count includes the messages workers hold (in flight); those are listed first, marked in flight, and cannot be deleted.",
      "Queues are found by their keys: a drained queue that no process here declares is not listed.",
    ]),
  });
  private readonly script: ScriptRunner;
  private readonly keys = new Map<string, string>();

  constructor(private readonly broker: RedisBroker) {
    this.script = broker.scriptRunner(INSPECT_LUA);
  }

  async listQueues(options: { include?: readonly string[] } = {}): Promise<QueueSummary[]> {
    const declared = new Set(this.broker.getDeclaredQueues().map(qName));
    // A script call first: it waits for (or fails on) the connection with the broker's own
    // timeouts and errors, which SCAN on a connection not yet up would not.
    await this.run("counts", "");
    const found = await this.broker.scanQueueNames();
    const names = [...new Set([...declared, ...found, ...(options.include ?? []).map(qName)])].sort();
    return Promise.all(
      names.map(async (name) => {
        const [stored, waiting, delayed, dead] = (await this.run("counts", name)) as number[];
        return { name, pending: stored!, delayed: delayed!, deadLetters: dead!, inFlight: Math.max(0, stored! - waiting!), declared: declared.has(name) };
      }),
    );
  }

  async listMessages(queueName: string, part: QueuePart, options?: ListMessagesOptions): Promise<MessagePage> {
    const { limit, offset } = readPage(part, options);
    const name = qName(queueName);
    const { total, items } = await this.page(name, part, offset, limit);
    const messages = items.map((item) => this.show(name, item));
    const end = offset + items.length;
    return { messages, next: items.length === limit && end < total ? String(end) : undefined, total };
  }

  async getMessage(queueName: string, messageId: string): Promise<InspectedMessage | undefined> {
    const name = qName(queueName);
    const found = await this.find(name, QUEUE_PARTS, messageId);
    return found && this.show(name, found);
  }

  async requeue(queueName: string, messageId: string): Promise<Message> {
    const name = qName(queueName);
    const found = await this.find(name, ["dead"], messageId);
    if (!found) throw notFound(messageId, `is not a dead letter of ${name}`);
    const again = this.requeued(found.data);
    if (!again) throw notFound(messageId, `does not decode, so it cannot run again; delete it instead`);
    const moved = Number(await this.run("requeue", name, found.key, again.key, again.data));
    if (moved !== 1) throw notFound(messageId, `is no longer a dead letter of ${name}`);
    this.forget(name, messageId);
    return again.message;
  }

  async requeueAll(queueName: string): Promise<number> {
    const name = qName(queueName);
    let moved = 0;
    // Undecodable dead letters stay; they are skipped by offset, so every pass makes progress.
    let skipped = 0;
    for (;;) {
      const { items } = await this.page(name, "dead", skipped, BATCH);
      if (items.length === 0) return moved;
      const args: (string | Buffer)[] = [];
      for (const item of items) {
        const again = this.requeued(item.data);
        if (again) args.push(item.key, again.key, again.data);
        else skipped++;
      }
      if (args.length > 0) moved += Number(await this.run("requeue", name, ...args));
    }
  }

  async deleteMessage(queueName: string, part: QueuePart, messageId: string): Promise<void> {
    checkPart(part);
    const name = qName(queueName);
    const found = await this.find(name, [part], messageId);
    if (!found) throw notFound(messageId, `is not in the ${part} part of ${name}`);
    if (found.held) throw notFound(messageId, `is held by a worker right now (in flight on ${name})`);
    const removed = Number(await this.run("delete", name, part, found.key));
    if (removed !== 1) throw notFound(messageId, `is no longer in the ${part} part of ${name}`);
    this.forget(name, messageId);
  }

  async purge(queueName: string, part: QueuePart): Promise<number> {
    checkPart(part);
    const name = qName(queueName);
    // Bounded by what was there when it started: producers adding meanwhile cannot keep it going.
    const [stored, waiting, delayed, dead] = (await this.run("counts", name)) as number[];
    const most = part === "dead" ? dead! : part === "delayed" ? delayed! : Math.min(stored!, waiting!);
    let removed = 0;
    while (removed < most) {
      const n = Number(await this.run("purge", name, part, Math.min(BATCH, most - removed)));
      if (n === 0) break;
      removed += n;
    }
    return removed;
  }

  async listWorkers(): Promise<WorkerSummary[]> {
    // Only the names are needed (no counts): the declared queues and those with keys.
    await this.run("counts", "");
    const queues = [...new Set([...this.broker.getDeclaredQueues().map(qName), ...(await this.broker.scanQueueNames())])];
    const reply = (await this.run("workers", "", ...queues)) as (Buffer | number)[];
    const staleBefore = Date.now() - this.broker.heartbeatTimeout;
    const out: WorkerSummary[] = [];
    for (let i = 0; i < reply.length; i += 3) {
      const lastSeen = Number(String(reply[i + 1]));
      out.push({ id: String(reply[i]), lastSeen, inFlight: Number(reply[i + 2]), stale: lastSeen < staleBefore });
    }
    return out.sort((a, b) => b.lastSeen - a.lastSeen);
  }

  /** Nothing of its own to close: it runs on the broker's connection. */
  async close(): Promise<void> {}

  private async run(command: string, queueName: string, ...args: (string | Buffer | number)[]): Promise<unknown> {
    return this.broker.runScript(this.script, [command, queueName, ...args], `inspect ${command}`, queueName || "the namespace");
  }

  private async page(name: string, part: QueuePart, offset: number, limit: number): Promise<{ total: number; items: Stored[] }> {
    const reply = (await this.run("page", name, part, offset, limit)) as (Buffer | number)[];
    const items: Stored[] = [];
    for (let i = 1; i < reply.length; i += 4) {
      const score = String(reply[i + 3]);
      items.push({ key: String(reply[i]), part, data: reply[i + 1] as Buffer, held: Number(reply[i + 2]) === 1, score: score === "" ? undefined : Number(score) });
    }
    return { total: Number(reply[0]), items };
  }

  /** The stored message with this Dramatiq id (or stored key) in one of `parts`. */
  private async find(name: string, parts: readonly QueuePart[], messageId: string): Promise<Stored | undefined> {
    for (const key of new Set([this.keys.get(`${name}\0${messageId}`), messageId])) {
      if (key === undefined) continue;
      const reply = (await this.run("find", name, key)) as (Buffer | number)[];
      if (reply.length === 0) continue;
      const part = String(reply[0]) as QueuePart;
      const score = String(reply[3]);
      const stored: Stored = { key, part, data: reply[1] as Buffer, held: Number(reply[2]) === 1, score: score === "" ? undefined : Number(score) };
      if (parts.includes(part) && (key === messageId || idOf(stored.data) === messageId)) return stored;
    }
    // Not remembered: read the parts in batches. Cheap filter first: the id must be in the bytes.
    for (const part of parts) {
      for (let offset = 0; ; offset += BATCH) {
        const { items } = await this.page(name, part, offset, BATCH);
        const hit = items.find((item) => item.data.includes(messageId) && idOf(item.data) === messageId);
        if (hit) {
          this.remember(name, messageId, hit.key);
          return hit;
        }
        if (items.length < BATCH) break;
      }
    }
    return undefined;
  }

  private show(name: string, item: Stored): InspectedMessage {
    const shown = inspectStored(item.data, { queueName: name, part: item.part, deadAt: item.score, inFlight: item.held, fallbackId: item.key });
    if (shown.messageId !== item.key) this.remember(name, shown.messageId, item.key);
    return shown;
  }

  /** What a dead letter becomes on its queue, under a fresh redis_message_id (as any enqueue); undefined when it does not decode. */
  private requeued(data: Buffer): { message: Message; key: string; data: Buffer } | undefined {
    let decoded: Message;
    try {
      decoded = Message.decode(data);
    } catch {
      return undefined;
    }
    const key = uuid4();
    const message = requeuedCopy(decoded).copy({ options: { redis_message_id: key } });
    return { message, key, data: message.encode() };
  }

  private remember(name: string, messageId: string, key: string): void {
    const id = `${name}\0${messageId}`;
    this.keys.delete(id);
    this.keys.set(id, key);
    if (this.keys.size > REMEMBERED) this.keys.delete(this.keys.keys().next().value!);
  }

  private forget(name: string, messageId: string): void {
    this.keys.delete(`${name}\0${messageId}`);
  }
}

function idOf(data: Buffer): string | undefined {
  try {
    return Message.decode(data).messageId;
  } catch {
    return undefined;
  }
}

function notFound(messageId: string, why: string): MessageNotFound {
  return new MessageNotFound(`Message ${messageId} ${why}: it was processed, requeued, deleted or moved meanwhile, or never was there. Nothing was changed.`, { messageId });
}
