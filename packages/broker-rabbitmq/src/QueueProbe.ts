import type * as amqp from "amqplib";
import type { RabbitmqInspector } from "./RabbitmqInspector";
import { amqpReplyCode, translateAmqpError } from "./translateAmqpError";

/** A queue's ready messages and consumers, as a passive declare reports them. */
export interface QueueCount {
  messageCount: number;
  consumerCount: number;
}

/**
 * Internal: passive declares (and purges) on one channel; a queue missing on the server counts zero. The
 * server closes a channel whose passive declare names a missing queue: the next call opens a new one.
 */
export class QueueProbe {
  private channel: amqp.Channel | undefined;

  constructor(private readonly inspector: RabbitmqInspector) {}

  count(queue: string): Promise<QueueCount> {
    return this.run(queue, "counting", async (channel) => {
      const { messageCount, consumerCount } = await channel.checkQueue(queue);
      return { messageCount, consumerCount };
    }, { messageCount: 0, consumerCount: 0 });
  }

  purge(queue: string): Promise<number> {
    return this.run(queue, "purging", async (channel) => {
      // Passive first: a purge of a missing queue would fail the same way, but be less clear.
      await channel.checkQueue(queue);
      return (await channel.purgeQueue(queue)).messageCount;
    }, 0);
  }

  async close(): Promise<void> {
    const channel = this.channel;
    this.channel = undefined;
    if (channel) await this.inspector.releaseChannel(channel);
  }

  private async run<T>(queue: string, what: string, fn: (channel: amqp.Channel) => Promise<T>, missing: T): Promise<T> {
    this.channel ??= await this.inspector.openChannel();
    const channel = this.channel;
    try {
      return await fn(channel);
    } catch (error) {
      if (this.channel === channel) this.channel = undefined;
      void this.inspector.releaseChannel(channel);
      if (amqpReplyCode(error) === 404) return missing;
      throw translateAmqpError(error, `${what} ${queue}`);
    }
  }
}

