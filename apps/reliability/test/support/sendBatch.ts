import { type Broker, actor } from "@q/core";

const declared = new WeakMap<Broker, Map<string, ReturnType<typeof declareWork>>>();
const declareWork = (broker: Broker, queue: string) => actor(function chaos_work(_i: number) {}, { broker, queueName: queue, maxRetries: 0 });

/**
 * Sends `chaos_work(i)` for i in from..to-1 on `broker` (the fixture actor's name and queue,
 * declared on that broker once), 50 sends in flight at a time.
 *
 * @example
 * await sendBatch(producer, queue, 0, 200);
 */
export async function sendBatch(broker: Broker, queue: string, from: number, to: number): Promise<void> {
  let byQueue = declared.get(broker);
  if (!byQueue) declared.set(broker, (byQueue = new Map()));
  let work = byQueue.get(queue);
  if (!work) byQueue.set(queue, (work = declareWork(broker, queue)));
  for (let i = from; i < to; i += 50) await Promise.all(Array.from({ length: Math.min(50, to - i) }, (_, k) => work.send(i + k)));
}
