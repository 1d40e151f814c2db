import type Redis from "ioredis";
import type { Cluster } from "ioredis";
import type { Logger } from "@q/core";

/**
 * Internal: one Pub/Sub connection per broker that tells idle consumers a message
 * was enqueued on their queue, so they fetch at once instead of polling. Only @q
 * producers publish wake-ups; consumers still poll at their timeout for others.
 * A channel whose SUBSCRIBE failed is subscribed again when the connection is next
 * ready (ioredis re-subscribes only channels that were subscribed).
 */
export class WakeupListener {
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly unsubscribed = new Set<string>();
  private readonly subscribing = new Set<string>();
  private failing = false;
  private connectedBefore = false;

  constructor(
    private readonly subscriber: Redis | Cluster,
    private readonly logger: Logger,
  ) {
    subscriber.on("message", (channel: string) => {
      for (const listener of this.listeners.get(channel) ?? []) listener();
    });
    subscriber.on("error", (err: Error) => {
      // Once per outage: the broker's own connection reports the outage too.
      if (this.failing) return this.logger.debug(`Redis wake-up connection error: ${err.message}`);
      this.failing = true;
      this.logger.warn(`Redis wake-up connection error: ${err.message}; idle workers poll until it is back.`);
    });
    subscriber.on("ready", () => {
      this.failing = false;
      for (const channel of this.unsubscribed) if (!this.subscribing.has(channel)) void this.subscribe(channel);
      if (!this.connectedBefore) return void (this.connectedBefore = true);
      // Wake-ups published while this connection was away (a restart, a failover to another
      // server) were missed: once ioredis's re-SUBSCRIBE (sent before this event) is answered,
      // every listener fetches once, so nothing waits for its poll timeout.
      subscriber.ping().then(
        () => {
          for (const set of this.listeners.values()) for (const listener of set) listener();
        },
        () => undefined,
      );
    });
  }

  /**
   * Calls `listener` on each wake-up of `channel`; returns the unsubscribe function at
   * once. SUBSCRIBE goes out in the background (until it is answered the consumer polls,
   * and a close never waits for a server that is not there); if it fails, that is logged
   * and the channel is subscribed again when the connection is next ready.
   */
  listen(channel: string, listener: () => void): () => Promise<void> {
    let set = this.listeners.get(channel);
    const first = !set;
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener);
    if (first || (this.unsubscribed.has(channel) && !this.subscribing.has(channel))) void this.subscribe(channel);
    return async () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(channel) === set) {
        this.listeners.delete(channel);
        this.unsubscribed.delete(channel);
        if (this.subscriber.status === "ready") await this.subscriber.unsubscribe(channel).catch(() => undefined);
      }
    };
  }

  close(): void {
    this.listeners.clear();
    this.unsubscribed.clear();
    this.subscriber.disconnect();
  }

  private async subscribe(channel: string): Promise<void> {
    this.unsubscribed.add(channel);
    this.subscribing.add(channel);
    try {
      await this.subscriber.subscribe(channel);
      this.unsubscribed.delete(channel);
    } catch (error) {
      if (this.listeners.has(channel)) {
        this.logger.warn(`Could not subscribe to ${channel}: ${(error as Error).message}; idle workers poll, and it is retried when the connection is next ready.`);
      }
    } finally {
      this.subscribing.delete(channel);
    }
  }
}
