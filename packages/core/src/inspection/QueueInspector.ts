import type { Message } from "../message/Message";
import type { InspectedMessage } from "./InspectedMessage";
import type { ListMessagesOptions, MessagePage } from "./MessagePage";
import type { QueuePart } from "./QueuePart";
import type { QueueSummary } from "./QueueSummary";
import type { WorkerSummary } from "./WorkerSummary";

/**
 * What a broker's inspector can do, so a dashboard or `q` shows only what works and says why
 * the rest does not.
 *
 * @example
 * if (!inspector.capabilities.listable.includes("queue")) console.log(inspector.capabilities.notes.join("\n"));
 */
export interface InspectorCapabilities {
  /** The parts whose messages `listMessages`/`getMessage` can show. */
  listable: readonly QueuePart[];
  /** The parts `deleteMessage` works on. */
  deletable: readonly QueuePart[];
  /** Whether `listWorkers` returns a registry (Redis) or undefined (RabbitMQ). */
  workers: boolean;
  /** Plain sentences on how the broker reads and what it cannot show, for users. */
  notes: readonly string[];
}

/**
 * Reads and repairs a broker's queues: the counts, the messages of a queue, its delay queue and
 * its dead letters, and the actions a dashboard offers. Implemented by every broker that ships
 * with @q (`broker.inspect()`); `@q/dashboard` and `q queues` / `q dlq` use it.
 *
 * Every action is safe against workers running at the same time: it finds the message where it
 * says, or fails with {@link MessageNotFound} and changes nothing. Reading never loses,
 * duplicates or reorders a message.
 *
 * @example
 * const inspector = inspectorOf(broker);
 * for (const q of await inspector.listQueues()) {
 *   if (q.deadLetters > 0) console.log(q.name, await inspector.listMessages(q.name, "dead", { limit: 10 }));
 * }
 * await inspector.requeueAll("default");
 */
export interface QueueInspector {
  /** What this broker can show and do. */
  readonly capabilities: InspectorCapabilities;
  /**
   * Every queue with its counts: the broker's declared queues, those found on the server where it
   * can list them (Redis), and `include`, sorted by name.
   */
  listQueues(options?: { include?: readonly string[] }): Promise<QueueSummary[]>;
  /** One page of a part's messages, oldest first where the broker keeps an order. */
  listMessages(queueName: string, part: QueuePart, options?: ListMessagesOptions): Promise<MessagePage>;
  /** The message with this id in any listable part of the queue, or undefined. */
  getMessage(queueName: string, messageId: string): Promise<InspectedMessage | undefined>;
  /**
   * Moves a dead letter back onto its queue with `retries` reset to 0, keeping its id, so a
   * worker runs it again. Returns the message as enqueued; {@link MessageNotFound} when it is no
   * longer a dead letter.
   */
  requeue(queueName: string, messageId: string): Promise<Message>;
  /** Requeues every dead letter of the queue; returns how many. */
  requeueAll(queueName: string): Promise<number>;
  /** Deletes one message from a part; {@link MessageNotFound} when it is not there (or a worker holds it). */
  deleteMessage(queueName: string, part: QueuePart, messageId: string): Promise<void>;
  /** Deletes every message of a part that no worker holds; returns how many. */
  purge(queueName: string, part: QueuePart): Promise<number>;
  /** The worker registry, or undefined when the broker keeps none. */
  listWorkers(): Promise<WorkerSummary[] | undefined>;
  /** Releases what the inspector opened of its own (the broker's connections stay). */
  close(): Promise<void>;
}
