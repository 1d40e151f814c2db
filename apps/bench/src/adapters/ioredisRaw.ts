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
 * - worker: a loop that moves up to `concurrency` jobs into a processing list with a small
 *   Lua script, runs their handlers at once, then sends one pipeline with an LREM (the ack)
 *   per finished job followed by the next fetch. A job counts as complete when its LREM's
 *   reply came back. When the queue is empty it blocks in BLMOVE for the next job, so an
 *   idle worker starts a new job as soon as it is pushed (the latency scenario).
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

async function run(client: FetchingRedis, queue: string, processing: string, concurrency: number, events: WorkerEvents, stopping: () => boolean): Promise<void> {
  const batch = Math.min(concurrency, PUSH_CHUNK);
  let finished: string[] = [];
  let finishedIds: number[] = [];
  while (!stopping()) {
    const pipeline = client.pipeline();
    for (const payload of finished) pipeline.lrem(processing, 1, payload);
    (pipeline as unknown as { qbenchFetch(q: string, p: string, n: number): void }).qbenchFetch(queue, processing, batch);
    const replies = throwFirstError(await pipeline.exec());
    for (let k = 0; k < finishedIds.length; k++) {
      if (replies[k] !== 1) throw new Error(`ack of job ${finishedIds[k]} removed ${String(replies[k])} entries`);
      events.onComplete(finishedIds[k]!);
    }
    let jobs = replies[replies.length - 1] as string[];
    if (jobs.length === 0) {
      const one = await client.blmove(queue, processing, "LEFT", "RIGHT", BLOCK_S);
      jobs = one === null ? [] : [one];
    }
    const ids = jobs.map((payload) => (JSON.parse(payload) as { i: number }).i);
    await Promise.all(ids.map((i) => events.onStart(i)));
    finished = jobs;
    finishedIds = ids;
  }
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
