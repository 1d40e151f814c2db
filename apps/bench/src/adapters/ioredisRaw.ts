import Redis from "ioredis";
import type { Target } from "../protocol";
import type { Adapter, WorkerEvents } from "./Adapter";

/** Values per RPUSH in a bulk enqueue (well under Redis's and Lua's argument limits). */
const PUSH_CHUNK = 1000;

/** How long an idle worker blocks in BLMOVE before it looks again (s); close() ends it sooner. */
const BLOCK_S = 1;

/**
 * Moves up to ARGV[1] jobs from the head of the queue (KEYS[1]) to the tail of the
 * processing list (KEYS[2]) and returns them: one round trip for a whole batch, atomic,
 * so a job is always in one of the two lists (the reliable-queue pattern).
 */
const FETCH_LUA = `
local items = redis.call("LRANGE", KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items == 0 then return items end
redis.call("LTRIM", KEYS[1], #items, -1)
redis.call("RPUSH", KEYS[2], unpack(items))
return items
`;

type FetchingRedis = Redis & { qbenchFetch(queue: string, processing: string, count: number): Promise<string[]> };

/**
 * The Redis ceiling: the least work that still is a reliable queue on Redis, with plain
 * ioredis and no library. A job is its JSON payload `{"i":…}` and nothing else (no id,
 * no envelope, no events, no retries, no recovery of a dead worker's processing list).
 * - enqueue: pipelined RPUSH, 1,000 payloads per command;
 * - worker: keeps up to `concurrency` handlers running. Jobs move into a processing list with
 *   a small Lua script; whenever handlers finish, one pipeline sends an LREM (the ack) per
 *   finished job and fetches as many jobs as there are free slots. A job counts as complete
 *   when its LREM's reply came back. When nothing is running or waiting it blocks in BLMOVE
 *   for the next job, so an idle worker starts a new job as soon as it is pushed (latency).
 */
export const ioredisRawAdapter: Adapter = {
  async producer(target) {
    const client = new Redis(target.redisUrl);
    await client.ping();
    const key = queueKey(target);
    return {
      async enqueueBulk(n) {
        const pipeline = client.pipeline();
        for (let start = 0; start < n; start += PUSH_CHUNK) {
          const values = new Array<string>(Math.min(PUSH_CHUNK, n - start));
          for (let k = 0; k < values.length; k++) values[k] = JSON.stringify({ i: start + k });
          pipeline.rpush(key, ...values);
        }
        throwFirstError(await pipeline.exec());
      },
      async send(i) {
        await client.rpush(key, JSON.stringify({ i }));
      },
      waiting: () => client.llen(key),
      async close() {
        await client.quit();
      },
    };
  },

  async worker(target, concurrency, events) {
    const client = new Redis(target.redisUrl) as FetchingRedis;
    client.defineCommand("qbenchFetch", { numberOfKeys: 2, lua: FETCH_LUA });
    await client.ping();
    const queue = queueKey(target);
    const processing = `${queue}.processing`;
    let stopping = false;
    let loop: Promise<void> | undefined;
    return {
      async start() {
        loop = run(client, queue, processing, concurrency, events, () => stopping).catch((error: unknown) => {
          if (!stopping) events.onFail(error);
        });
      },
      async remaining() {
        const [waiting, inFlight] = await Promise.all([client.llen(queue), client.llen(processing)]);
        return waiting + inFlight;
      },
      async close() {
        stopping = true;
        // Ends a BLMOVE that is waiting for a job (quit would wait for it).
        client.disconnect();
        await loop;
      },
    };
  },
};

/**
 * Keeps up to `concurrency` jobs running: whenever jobs finish, one pipeline sends their acks
 * (LREM) and fetches as many new jobs as there are free slots. Finishing jobs are gathered
 * for one turn of the event loop (setImmediate) and while a pipeline is out, so acks and
 * fetches go in batches; only one pipeline is out at a time. Resolves when stopped; rejects
 * on a Redis error.
 */
function run(client: FetchingRedis, queue: string, processing: string, concurrency: number, events: WorkerEvents, stopping: () => boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let running = 0;
    let finished: { payload: string; i: number }[] = [];
    let busy = false;
    let scheduled = false;
    const fail = (error: unknown) => (stopping() ? resolve() : reject(error));
    const schedule = () => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        void pump().catch(fail);
      });
    };
    const startJob = (payload: string) => {
      const { i } = JSON.parse(payload) as { i: number };
      running++;
      void Promise.resolve(events.onStart(i)).then(() => {
        running--;
        finished.push({ payload, i });
        schedule();
      }, fail);
    };
    const pump = async (): Promise<void> => {
      if (stopping()) return resolve();
      const free = Math.min(concurrency - running, PUSH_CHUNK);
      if (busy || (free === 0 && finished.length === 0)) return;
      busy = true;
      const acks = finished;
      finished = [];
      const pipeline = client.pipeline();
      for (const { payload } of acks) pipeline.lrem(processing, 1, payload);
      if (free > 0) (pipeline as unknown as { qbenchFetch(q: string, p: string, n: number): void }).qbenchFetch(queue, processing, free);
      const replies = throwFirstError(await pipeline.exec());
      for (let k = 0; k < acks.length; k++) {
        if (replies[k] !== 1) throw new Error(`ack of job ${acks[k]!.i} removed ${String(replies[k])} entries`);
        events.onComplete(acks[k]!.i);
      }
      let jobs = free > 0 ? (replies[acks.length] as string[]) : [];
      if (jobs.length === 0 && running === 0 && finished.length === 0) {
        // Idle: wait in Redis for the next job (the latency scenario's path).
        const one = await client.blmove(queue, processing, "LEFT", "RIGHT", BLOCK_S);
        jobs = one === null ? [] : [one];
        if (!jobs.length) schedule(); // timed out: look again
      }
      for (const payload of jobs) startJob(payload);
      busy = false;
      // Jobs that finished while the pipeline was out, or more room for jobs still waiting.
      if (finished.length > 0 || (jobs.length > 0 && running < concurrency)) schedule();
    };
    schedule();
  });
}

function queueKey(target: Target): string {
  return `${target.prefix}:${target.queue}`;
}

/** A pipeline's replies, or its first error thrown. */
function throwFirstError(results: [Error | null, unknown][] | null): unknown[] {
  if (!results) throw new Error("pipeline was discarded");
  for (const [error] of results) if (error) throw error;
  return results.map(([, value]) => value);
}
