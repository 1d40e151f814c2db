/**
 * Per-test resources for the integration tests: brokers on fresh namespaces, started
 * workers, and clean-ups. `useHarness()` (called at the top of a test file) checks the
 * test server in `beforeAll` (failing, never skipping, when it is missing) and after
 * each test kills what the test deferred, stops workers, closes brokers and deletes the
 * namespaces' keys, so jest exits cleanly.
 */
import { Worker, type WorkerOptions, CurrentMessage, defaultMiddleware } from "@q/core";
import Redis from "ioredis";
import { RedisBroker, type RedisBrokerOptions } from "../src";
import { silentLogger } from "@q/test-support";
import { REDIS_URL, deleteNamespace, freshNamespace, requireRedis } from "@q/test-support/redis";

export interface Harness {
  /** A plain client on the test server (for looking at and writing keys). */
  readonly redis: Redis;
  /** A broker on the test server, fresh namespace and silent logger unless given. */
  broker(options?: RedisBrokerOptions): RedisBroker;
  /** A started worker (consumer timeout 100 ms unless given); stopped after the test. */
  worker(broker: RedisBroker, options?: WorkerOptions): Promise<Worker>;
  /** Runs `fn` after the test, before workers stop (e.g. killing child processes). */
  defer(fn: () => unknown): void;
}

export function useHarness(): Harness {
  let redis: Redis | undefined;
  const deferred: (() => unknown)[] = [];
  const workers: Worker[] = [];
  const brokers: RedisBroker[] = [];
  const namespaces = new Set<string>();

  beforeAll(async () => {
    await requireRedis();
    redis = new Redis(REDIS_URL);
  });

  afterEach(async () => {
    for (const fn of deferred.splice(0).reverse()) await fn();
    await Promise.all(workers.splice(0).map((w) => w.stop({ timeout: 1000 })));
    await Promise.all(brokers.splice(0).map((b) => b.close()));
    for (const ns of namespaces) await deleteNamespace(redis!, ns);
    namespaces.clear();
  });

  afterAll(async () => {
    await redis?.quit();
  });

  return {
    get redis() {
      if (!redis) throw new Error("the harness client exists only inside tests (after beforeAll)");
      return redis;
    },
    broker(options = {}) {
      const onTestServer = options.url === undefined && options.client === undefined;
      const broker = new RedisBroker({ url: REDIS_URL, namespace: freshNamespace(), logger: silentLogger(), middleware: [...defaultMiddleware(), new CurrentMessage()], ...options });
      brokers.push(broker);
      if (onTestServer) namespaces.add(broker.namespace);
      return broker;
    },
    async worker(broker, options = {}) {
      const worker = new Worker(broker, { timeout: 100, ...options });
      workers.push(worker);
      await worker.start();
      return worker;
    },
    defer(fn) {
      deferred.push(fn);
    },
  };
}

/** Key names of a namespace and canonical queue. */
export function keysOf(namespace: string, queue: string) {
  const k = (suffix: string) => `${namespace}:${suffix}`;
  return {
    queue: k(queue),
    msgs: k(`${queue}.msgs`),
    dq: k(`${queue}.DQ`),
    dqMsgs: k(`${queue}.DQ.msgs`),
    xq: k(`${queue}.XQ`),
    xqMsgs: k(`${queue}.XQ.msgs`),
    heartbeats: k("__heartbeats__"),
    acks: (brokerId: string, q: string = queue) => k(`__acks__.${brokerId}.${q}`),
  };
}

export { pythonBytes } from "@q/test-support";

/** Enqueues raw bytes as Dramatiq's dispatch script does: HSET ns:q.msgs id bytes, then RPUSH ns:q id. */
export async function rawEnqueue(redis: Redis, namespace: string, queueName: string, id: string, bytes: Buffer): Promise<void> {
  await redis.hset(`${namespace}:${queueName}.msgs`, id, bytes);
  await redis.rpush(`${namespace}:${queueName}`, id);
}
