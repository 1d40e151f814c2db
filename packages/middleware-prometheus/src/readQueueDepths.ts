import type { Broker, QueueDepth } from "@q/core";

/** One queue's depth, or `undefined` where the read failed or was too slow. */
export interface QueueDepthSample {
  queue: string;
  depth?: QueueDepth;
}

/**
 * Reads every declared queue's depth in parallel, each bounded by `timeout` ms: a slow or
 * failing read gives `undefined` for that queue, never a late answer. Internal.
 */
export async function readQueueDepths(broker: Broker, timeout: number): Promise<QueueDepthSample[]> {
  const read = broker.queueDepth?.bind(broker);
  if (!read) return [];
  return Promise.all(
    [...broker.queues].map(async (queue): Promise<QueueDepthSample> => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeout)));
      try {
        const depth = await Promise.race([read(queue).catch(() => undefined), late]);
        return { queue, depth };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}
