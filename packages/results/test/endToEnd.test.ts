/** A real RedisBroker worker storing results through the Results middleware, read back by message.getResult(). */
import { type Broker, actor, defaultMiddleware, ResultFailure, ResultMissing, Results, type ResultBackend, Worker } from "@q/core";
import { RedisBroker } from "@q/broker-redis";
import { silentLogger, waitFor } from "@q/test-support";
import { MEMCACHED_SERVERS, requireMemcached } from "@q/test-support/memcached";
import { REDIS_URL, deleteNamespace, freshNamespace, requireRedis } from "@q/test-support/redis";
import Redis from "ioredis";
import { MemoryResultBackend } from "../src";
import { MemcachedResultBackend } from "../src/memcached";
import { RedisResultBackend } from "../src/redis";

jest.setTimeout(30_000);

const BACKENDS: ReadonlyArray<{ name: string; make(): ResultBackend }> = [
  { name: "memory", make: () => new MemoryResultBackend() },
  { name: "redis", make: () => new RedisResultBackend({ url: REDIS_URL }) },
  { name: "memcached", make: () => new MemcachedResultBackend({ servers: MEMCACHED_SERVERS }) },
];

let admin: Redis;
beforeAll(async () => {
  await requireRedis();
  await requireMemcached();
  admin = new Redis(REDIS_URL);
});
afterAll(() => admin.quit());

describe.each(BACKENDS)("Results on a RedisBroker worker, $name backend", ({ make }) => {
  let backend: ResultBackend;
  let broker: Broker;
  let namespace: string;
  let worker: Worker | undefined;

  beforeEach(() => {
    backend = make();
    namespace = freshNamespace();
    broker = new RedisBroker({ url: REDIS_URL, namespace, logger: silentLogger(), middleware: [...defaultMiddleware(), new Results({ backend })] });
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    await broker.close();
    await backend.close();
    await deleteNamespace(admin, namespace);
  });

  test("a result stored by the worker is read by getResult({ block: true }), once per message", async () => {
    let runs = 0;
    const add = actor(function add(a: number, b: number) {
      runs++;
      return a + b;
    }, { broker, storeResults: true });
    const first = await add.send(1, 2);
    const second = await add.send(40, 2);
    await expect(first.getResult()).rejects.toBeInstanceOf(ResultMissing);
    worker = new Worker(broker, { concurrency: 2 });
    await worker.start();
    expect(await first.getResult({ block: true, timeout: 10_000 })).toBe(3);
    expect(await second.getResult({ block: true, timeout: 10_000 })).toBe(42);
    expect(await first.getResult()).toBe(3);
    expect(runs).toBe(2);
  });

  test("a failure is stored only once the retries are exhausted: ResultMissing while they are pending", async () => {
    let runs = 0;
    const boom = actor(async function boom() {
      runs++;
      throw new RangeError(`attempt ${runs}`);
    }, { broker, storeResults: true, maxRetries: 2, minBackoff: 500, maxBackoff: 500 });
    worker = new Worker(broker, { concurrency: 1 });
    await worker.start();
    const message = await boom.send();
    await waitFor("the first attempt", () => runs >= 1);
    // The first attempt failed and a retry is pending (500 ms backoff): nothing stored yet.
    await expect(message.getResult()).rejects.toBeInstanceOf(ResultMissing);
    const error = await message.getResult({ block: true, timeout: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResultFailure);
    expect(error).toMatchObject({ origExcType: "RangeError", origExcMsg: "attempt 3" });
    expect(runs).toBe(3);
  });
});
