import { type ConnectionOptions, Queue, Worker } from "bullmq";
import type { Target } from "../protocol";
import { parseRedisUrl } from "../redisUrl";
import { type Adapter, JOB_NAME, type Payload } from "./Adapter";

/**
 * BullMQ with its defaults, except `removeOnComplete: true` on every job (set once as
 * the queue's default job option), so completed jobs are deleted as @q deletes acked
 * messages instead of piling up in the completed set.
 */
export const bullmqAdapter: Adapter = {
  async producer(target) {
    const queue = new Queue<Payload>(target.queue, {
      connection: connectionOf(target),
      prefix: target.prefix,
      defaultJobOptions: { removeOnComplete: true },
    });
    await queue.waitUntilReady();
    return {
      async enqueueBulk(n) {
        const jobs = new Array<{ name: string; data: Payload }>(n);
        for (let i = 0; i < n; i++) jobs[i] = { name: JOB_NAME, data: { i } };
        await queue.addBulk(jobs);
      },
      async send(i) {
        await queue.add(JOB_NAME, { i });
      },
      waiting: () => queue.getJobCountByTypes("wait", "prioritized", "delayed"),
      close: () => queue.close(),
    };
  },

  async worker(target, concurrency, events, options = {}) {
    const worker = new Worker<Payload>(target.queue, async (job) => events.onStart(job.data.i), {
      connection: connectionOf(target),
      prefix: target.prefix,
      concurrency,
      autorun: false,
      // A killed worker's job is moved back once its lock has expired (lockDuration, default
      // 30000 ms) and a stalled-job check has seen that (every stalledInterval, default 30000 ms).
      ...(options.recoveryMs === undefined ? {} : { lockDuration: options.recoveryMs, stalledInterval: options.recoveryMs }),
    });
    worker.on("completed", (job) => events.onComplete(job.data.i));
    worker.on("failed", (_job, error) => events.onFail(error));
    worker.on("error", (error) => events.onFail(error));
    await worker.waitUntilReady();
    let running: Promise<void> | undefined;
    let counter: Queue<Payload> | undefined;
    return {
      async start() {
        running = worker.run().catch((error: unknown) => events.onFail(error));
      },
      async remaining() {
        // A separate Queue for counting, made after the measurement.
        counter ??= new Queue<Payload>(target.queue, { connection: connectionOf(target), prefix: target.prefix });
        const counts = await counter.getJobCounts("wait", "active", "prioritized", "delayed", "completed", "failed");
        return Object.values(counts).reduce((sum, c) => sum + c, 0);
      },
      async close() {
        await worker.close();
        await running;
        await counter?.close();
      },
    };
  },
};

function connectionOf(target: Target): ConnectionOptions {
  const { host, port, db, password } = parseRedisUrl(target.redisUrl);
  // Workers need maxRetriesPerRequest: null for their blocking connection (BullMQ's advice).
  return { host, port, db, ...(password ? { password } : {}), maxRetriesPerRequest: null };
}
