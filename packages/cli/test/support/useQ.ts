import { RedisBroker } from "@q/broker-redis";
import { Message } from "@q/core";
import Redis from "ioredis";
import pino from "pino";
import { type QRun, killAllQ, runQ } from "./runQ";
import { REDIS_URL, deleteNamespace, freshNamespace, requireRedis } from "@q/test-support/redis";

export interface QTest {
  /** This test's namespace (fresh per test). */
  readonly namespace: string;
  readonly redis: Redis;
  /** Runs q on the fixtures with this test's namespace in the environment. */
  q(args: readonly string[], options?: { env?: NodeJS.ProcessEnv; cwd?: string }): QRun;
  /** Enqueues a message for `actorName` on `queue` (default "default"). */
  send(actorName: string, args: unknown[], options?: { queue?: string; delay?: number }): Promise<Message>;
  /** What the fixture actors recorded (list <namespace>:events). */
  events(): Promise<string[]>;
  /** Messages waiting on a queue. */
  queueLength(queue?: string): Promise<number>;
}

/**
 * Per-test state for the binary's tests: a fresh namespace, a producer broker on it, a
 * client to look at it; after each test every q still running is killed and the
 * namespace's keys are deleted. Fails (never skips) without the Redis test server.
 */
export function useQ(): QTest {
  let redis: Redis | undefined;
  let producer: RedisBroker | undefined;
  let namespace = "";

  beforeAll(async () => {
    await requireRedis();
    redis = new Redis(REDIS_URL);
  });
  beforeEach(() => {
    namespace = freshNamespace();
    producer = new RedisBroker({ url: REDIS_URL, namespace, logger: pino({ level: "silent" }) });
  });
  afterEach(async () => {
    await killAllQ();
    await producer?.close();
    await deleteNamespace(redis!, namespace);
  });
  afterAll(async () => {
    await redis?.quit();
  });

  return {
    get namespace() {
      return namespace;
    },
    get redis() {
      return redis!;
    },
    q(args, options = {}) {
      return runQ(args, { ...options, env: { Q_NAMESPACE: namespace, ...options.env } });
    },
    send(actorName, args, options = {}) {
      return producer!.enqueue(new Message({ queueName: options.queue ?? "default", actorName, args }), { delay: options.delay });
    },
    events() {
      return redis!.lrange(`${namespace}:events`, 0, -1);
    },
    queueLength(queue = "default") {
      return redis!.llen(`${namespace}:${queue}`);
    },
  };
}
