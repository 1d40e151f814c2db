import { type Consumer, DecodeError, Message, MessageProxy } from "@q/core";
import type { QueueStore } from "./QueueStore";
import type { StubBroker } from "./StubBroker";

/**
 * Internal: consumes one in-memory queue. Keeps at most `prefetch` messages
 * outstanding; what is still outstanding when it closes goes back to the queue.
 */
export class StubConsumer implements Consumer {
  private readonly outstanding = new Set<MessageProxy>();
  private closed = false;
  private wakeOnClose: (() => void) | undefined;

  constructor(
    private readonly broker: StubBroker,
    private readonly store: QueueStore,
    readonly queueName: string,
    private readonly prefetch: number,
    private readonly timeout: number,
  ) {}

  async next(): Promise<MessageProxy | null> {
    const now = this.tryTake();
    if (now || this.closed) return now;
    return new Promise((resolve) => {
      const finish = (value: MessageProxy | null) => {
        clearTimeout(timer);
        stop();
        this.wakeOnClose = undefined;
        resolve(value);
      };
      const timer = setTimeout(() => finish(null), this.timeout);
      const stop = this.store.listen(() => {
        const taken = this.tryTake();
        if (taken) finish(taken);
      });
      this.wakeOnClose = () => finish(null);
    });
  }

  async ack(message: MessageProxy): Promise<void> {
    if (this.outstanding.delete(message)) this.store.done();
  }

  async nack(message: MessageProxy): Promise<void> {
    if (!this.outstanding.delete(message)) return;
    this.broker.recordDeadLetter(this.queueName, message);
    this.store.done();
  }

  async requeue(messages: readonly MessageProxy[]): Promise<void> {
    for (const message of messages) {
      if (this.outstanding.delete(message)) this.store.putBack(message.raw ?? message.message.encode());
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.requeue([...this.outstanding]);
    this.broker.forgetConsumer(this);
    this.wakeOnClose?.();
  }

  /** Messages handed out and not yet settled. */
  held(): MessageProxy[] {
    return [...this.outstanding];
  }

  private tryTake(): MessageProxy | null {
    while (!this.closed && this.outstanding.size < this.prefetch) {
      const data = this.store.take();
      if (!data) return null;
      const tooLarge = this.broker.oversizeReceived(data, `on ${this.queueName}`);
      if (tooLarge) {
        this.broker.recordPoison(this.queueName, data, tooLarge);
        this.store.done();
        continue;
      }
      let message: Message;
      try {
        message = Message.decode(data);
      } catch (error) {
        this.broker.recordPoison(this.queueName, data, error as DecodeError);
        this.store.done();
        continue;
      }
      const proxy = new MessageProxy(message, this.queueName, data);
      this.outstanding.add(proxy);
      return proxy;
    }
    return null;
  }
}
