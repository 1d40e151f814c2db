import pino from "pino";
import { Broker, type BrokerOptions } from "../../src/broker/Broker";
import type { Consumer } from "../../src/broker/Consumer";
import type { Message } from "../../src/message/Message";

/**
 * A minimal concrete broker for core's tests (core cannot use @q/broker-stub): it records
 * what it publishes and the queues it declares, and does not consume. Its logger is silent
 * unless one is given.
 */
export class RecordingBroker extends Broker {
  /** Every published message, in order. */
  readonly published: Message[] = [];
  /** Every newly declared canonical queue, in order (what a real broker would set up storage for). */
  readonly storage: string[] = [];
  /** `publish <queue>` per published message; pass `events` to share the list with middleware. */
  readonly events: string[];

  constructor(options: BrokerOptions & { events?: string[] } = {}) {
    super({ logger: pino({ level: "silent" }), ...options });
    this.events = options.events ?? [];
  }
  consume(): Consumer {
    throw new Error("RecordingBroker does not consume");
  }
  async flush(): Promise<void> {}
  async flushAll(): Promise<void> {}
  async join(): Promise<void> {}
  async close(): Promise<void> {}
  protected async publish(message: Message): Promise<void> {
    this.events.push(`publish ${message.queueName}`);
    this.published.push(message);
  }
  protected override onDeclareQueue(queueName: string): void {
    this.storage.push(queueName);
  }
}
