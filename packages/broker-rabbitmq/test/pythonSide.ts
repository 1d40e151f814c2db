/**
 * The Python side of interop tests, driven over a plain amqplib connection the way
 * Python Dramatiq (pika) does it: queues declared with pika's exact argument types,
 * persistent publishes with only `delivery_mode` (and `priority`), reads with
 * basic.get. Also the tests' window on what RabbitMQ holds.
 */
import { setTimeout as sleep } from "node:timers/promises";
import * as amqp from "amqplib";
import { AMQP_URL } from "@q/test-support/rabbitmq";

/** A field-table integer typed as pika types it: `I` (signed 32) when it fits, `l` otherwise. */
export function pikaInt(value: number): { "!": "int" | "long"; value: number } {
  return { "!": value >= -0x80000000 && value <= 0x7fffffff ? "int" : "long", value };
}

/** One message read back from a queue. */
export interface Got {
  body: Buffer;
  properties: amqp.MessageProperties;
  fields: amqp.GetMessageFields;
}

export class PythonSide {
  private current: { connection: amqp.ChannelModel; channel: amqp.Channel } | undefined;
  private closed = false;

  private constructor(private readonly url: string) {}

  /** A side on `url`; it reconnects by itself when the server restarts or drops it. */
  static async connect(url: string = AMQP_URL): Promise<PythonSide> {
    const side = new PythonSide(url);
    await side.channel();
    return side;
  }

  /** The live connection (opened again if it was lost). */
  async connection(): Promise<amqp.ChannelModel> {
    return (await this.open()).connection;
  }

  /** Declares q, q.DQ, q.XQ as Dramatiq does (pika types, same order). `long` forces `l` for every integer. */
  async declare(queue: string, options: { maxPriority?: number; ttl?: number; long?: boolean } = {}): Promise<void> {
    const int = (v: number) => (options.long ? { "!": "long", value: v } : pikaInt(v));
    const args: Record<string, unknown> = { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": `${queue}.XQ` };
    if (options.maxPriority !== undefined) args["x-max-priority"] = int(options.maxPriority);
    const channel = await this.channel();
    for (const name of [queue, `${queue}.DQ`]) await channel.assertQueue(name, { durable: true, arguments: args });
    await channel.assertQueue(`${queue}.XQ`, { durable: true, arguments: { "x-message-ttl": int(options.ttl ?? 604800000) } });
  }

  /** basic_publish as Dramatiq does it: default exchange, delivery_mode 2, priority when given, nothing else. */
  async publish(queue: string, body: Buffer | string, priority?: number): Promise<void> {
    const content = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    const fields: Record<string, unknown> = { exchange: "", routingKey: queue, mandatory: false, immediate: false, deliveryMode: 2 };
    if (priority !== undefined) fields.priority = priority;
    const channel = await this.channel();
    (channel as unknown as { sendMessage(f: unknown, p: unknown, c: Buffer): boolean }).sendMessage(fields, fields, content);
    await channel.checkQueue(queue); // a round trip on the same channel: the publish has landed
  }

  /** Every message in `queue`, read with basic.get and put back (they come back flagged redelivered). */
  async peek(queue: string): Promise<Got[]> {
    const channel = await (await this.connection()).createChannel();
    channel.on("error", () => undefined);
    const got: Got[] = [];
    for (;;) {
      const m = await channel.get(queue, { noAck: false });
      if (!m) break;
      got.push({ body: m.content, properties: m.properties, fields: m.fields });
    }
    await channel.close();
    return got;
  }

  /** Every message in `queue` once the count has stopped changing (dead-lettering is asynchronous in RabbitMQ). */
  async settled(queue: string, { quiet = 100, timeout = 3000 } = {}): Promise<Got[]> {
    const deadline = Date.now() + timeout;
    let last = -1;
    let since = Date.now();
    for (;;) {
      const n = await this.count(queue);
      if (n !== last) {
        last = n;
        since = Date.now();
      } else if (Date.now() - since >= quiet || Date.now() >= deadline) {
        return this.peek(queue);
      }
      await sleep(20);
    }
  }

  /** Ready messages in `queue` (passive declare). */
  async count(queue: string): Promise<number> {
    return (await (await this.channel()).checkQueue(queue)).messageCount;
  }

  async exists(queue: string): Promise<boolean> {
    const channel = await (await this.connection()).createChannel();
    channel.on("error", () => undefined);
    try {
      await channel.checkQueue(queue);
      await channel.close();
      return true;
    } catch {
      return false;
    }
  }

  async delete(...queues: string[]): Promise<void> {
    const channel = await this.channel();
    for (const q of queues) await channel.deleteQueue(q);
  }

  /** Deletes q, q.DQ, q.XQ and every delay bucket of q. */
  async deleteAll(queue: string): Promise<void> {
    const buckets = Array.from({ length: 13 }, (_, k) => `${queue}.DQ.wait.${4 ** k}`);
    await this.delete(queue, `${queue}.DQ`, `${queue}.XQ`, ...buckets);
  }

  async close(): Promise<void> {
    this.closed = true;
    const current = this.current;
    this.current = undefined;
    await current?.connection.close().catch(() => undefined);
  }

  /** The side's channel (reopened, with its connection, when it was lost). */
  async channel(): Promise<amqp.Channel> {
    return (await this.open()).channel;
  }

  private async open(): Promise<{ connection: amqp.ChannelModel; channel: amqp.Channel }> {
    if (this.closed) throw new Error("the Python side is closed");
    if (this.current) return this.current;
    const connection = await amqp.connect(this.url);
    connection.on("error", () => undefined);
    const channel = await connection.createChannel();
    const current = { connection, channel };
    channel.on("error", () => undefined);
    channel.on("close", () => {
      if (this.current === current) this.current = undefined;
      void connection.close().catch(() => undefined);
    });
    connection.on("close", () => {
      if (this.current === current) this.current = undefined;
    });
    this.current = current;
    return current;
  }
}

export { pythonBytes } from "@q/test-support";
