import { Gauge, Registry } from "prom-client";
import type { QueueDepthSample } from "./readQueueDepths";

const GAUGES = [
  ["pending", "q_queue_pending_messages", "Messages waiting on the queue (read from the broker at scrape time)."],
  ["delayed", "q_queue_delayed_messages", "Messages on the queue's delay queue (read from the broker at scrape time)."],
  ["deadLetters", "q_queue_dead_letter_messages", "Dead-lettered messages kept for the queue (read from the broker at scrape time)."],
  ["inFlight", "q_queue_inflight_messages", "Messages fetched by a worker and not yet acked or nacked (where the broker can tell)."],
] as const;

/**
 * The queue depth gauges of a scrape: the fresh reads, and for a queue whose read failed or
 * was too slow its last value while that is younger than `maxAge` ms (then the queue is
 * left out). Also `q_queue_depth_age_seconds`, how old each served value is. Internal.
 */
export class DepthCache {
  private readonly last = new Map<string, { sample: Required<QueueDepthSample>; at: number }>();

  constructor(private readonly maxAge: number) {}

  /** The exposition text of the depth gauges after folding in `samples`. */
  async render(samples: readonly QueueDepthSample[], now = Date.now()): Promise<string> {
    for (const s of samples) if (s.depth) this.last.set(s.queue, { sample: { queue: s.queue, depth: s.depth }, at: now });
    const registry = new Registry();
    const gauges = GAUGES.map(([key, name, help]) => [key, new Gauge({ name, help, labelNames: ["queue_name"], registers: [registry] })] as const);
    const age = new Gauge({ name: "q_queue_depth_age_seconds", help: "How old the served queue depth values are (0 when read at this scrape).", labelNames: ["queue_name"], registers: [registry] });
    let any = false;
    for (const [queue, { sample, at }] of [...this.last].sort(([a], [b]) => a.localeCompare(b))) {
      if (now - at > this.maxAge) {
        this.last.delete(queue);
        continue;
      }
      any = true;
      for (const [key, gauge] of gauges) {
        const value = sample.depth[key];
        if (value !== undefined) gauge.labels(queue).set(value);
      }
      age.labels(queue).set((now - at) / 1000);
    }
    return any ? registry.metrics() : "";
  }
}
