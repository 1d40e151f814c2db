import type Redis from "ioredis";

/**
 * Internal: one Pub/Sub connection per broker that tells idle consumers a message
 * was enqueued on their queue, so they fetch at once instead of polling. Only @q
 * producers publish wake-ups; consumers still poll at their timeout for others.
 */
export class WakeupListener {
  private readonly listeners = new Map<string, Set<() => void>>();

  constructor(private readonly subscriber: Redis) {
    subscriber.on("message", (channel: string) => {
      for (const listener of this.listeners.get(channel) ?? []) listener();
    });
    // The listener may be closed before the first connection ever succeeds.
    subscriber.on("error", () => undefined);
  }

  /** Calls `listener` on each wake-up of `channel`; returns the unsubscribe function. */
  async listen(channel: string, listener: () => void): Promise<() => Promise<void>> {
    let set = this.listeners.get(channel);
    if (!set) {
      this.listeners.set(channel, (set = new Set()));
      await this.subscriber.subscribe(channel);
    }
    set.add(listener);
    return async () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(channel) === set) {
        this.listeners.delete(channel);
        if (this.subscriber.status === "ready") await this.subscriber.unsubscribe(channel).catch(() => undefined);
      }
    };
  }

  close(): void {
    this.listeners.clear();
    this.subscriber.disconnect();
  }
}
