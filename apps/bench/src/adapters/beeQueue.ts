import BeeQueue from "bee-queue";
import type { Target } from "../protocol";
import { parseRedisUrl } from "../redisUrl";
import type { Adapter, Payload } from "./Adapter";

/**
 * bee-queue with its defaults, except:
 * - producers are `isWorker: false, getEvents: false` (its README's advice for a queue that only adds jobs);
 * - workers are `removeOnSuccess: true` (succeeded jobs are deleted, as @q deletes acked messages)
 *   and `getEvents: false` (nobody listens for job events in the worker process). They still send
 *   events (`sendEvents` default true), much as BullMQ always writes its events stream.
 * `storeJobs: false` everywhere: no in-process table of Job objects (only used for events).
 */
export const beeQueueAdapter: Adapter = {
  async producer(target) {
    const queue = new BeeQueue<Payload>(target.queue, {
      prefix: target.prefix,
      redis: redisOf(target),
      isWorker: false,
      getEvents: false,
      storeJobs: false,
    });
    await queue.ready();
    return {
      async enqueueBulk(n) {
        const jobs = new Array<BeeQueue.Job<Payload>>(n);
        for (let i = 0; i < n; i++) jobs[i] = queue.createJob({ i });
        const errors = await queue.saveAll(jobs);
        if (errors.size > 0) throw new Error(`bee-queue saveAll: ${errors.size} job(s) failed: ${[...errors.values()][0]?.message}`);
      },
      async send(i) {
        await queue.createJob({ i }).save();
      },
      waiting: async () => (await queue.checkHealth()).waiting,
      close: () => queue.close(5000),
    };
  },

  async worker(target, concurrency, events, options = {}) {
    const queue = new BeeQueue<Payload>(target.queue, {
      prefix: target.prefix,
      redis: redisOf(target),
      getEvents: false,
      storeJobs: false,
      removeOnSuccess: true,
      // A job whose worker has not renewed it within a stallInterval (default 5000 ms) counts as stalled.
      ...(options.recoveryMs === undefined ? {} : { stallInterval: options.recoveryMs }),
    });
    queue.on("succeeded", (job) => events.onComplete(job.data.i));
    queue.on("failed", (_job, error) => events.onFail(error));
    queue.on("error", (error) => events.onFail(error));
    await queue.ready();
    return {
      async start() {
        queue.process(concurrency, async (job: BeeQueue.Job<Payload>) => events.onStart(job.data.i));
        // bee-queue finds stalled jobs only when an app asks: its README advises an interval the
        // same as or a bit shorter than stallInterval, so a stalled job runs again within about
        // 2 × stallInterval. Without this call a dead worker's job would stay active for good.
        if (options.recoverStalled) void queue.checkStalledJobs((queue.settings as { stallInterval: number }).stallInterval).catch((error: unknown) => events.onFail(error));
      },
      async remaining() {
        const h = await queue.checkHealth();
        return h.waiting + h.active + h.delayed + h.succeeded + h.failed;
      },
      close: () => queue.close(5000),
    };
  },
};

function redisOf(target: Target): BeeQueue.QueueSettings["redis"] {
  const { host, port, db, password } = parseRedisUrl(target.redisUrl);
  return { host, port, db, ...(password ? { password } : {}) };
}
