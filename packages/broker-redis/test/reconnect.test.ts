/**
 * Connection trouble on a dedicated redis-server (never the shared one): a server
 * restart and killed connections in the middle of a run, and bounded failures while
 * the server is down. Workers and producers carry on by themselves afterwards.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ConnectionClosed, ConnectionFailed, Worker, actor } from "@q/core";
import type Redis from "ioredis";
import type { RedisBroker, RedisBrokerOptions } from "../src";
import { keysOf, pythonBytes, useHarness } from "./harness";
import { RedisServer } from "@q/test-support/redis-server";
import { LEVEL, captureLogger, flood, waitFor } from "@q/test-support";
import { freshNamespace } from "@q/test-support/redis";

jest.setTimeout(40_000);

/** How a send failed, for counting: `written: "no"` when it was never sent (ConnectionFailed: no server was reached). */
const writtenKind = (e: unknown): string =>
  e instanceof ConnectionClosed ? `written: "${e.written}"` : e instanceof ConnectionFailed ? 'written: "no"' : String(e);

const h = useHarness();
let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await RedisServer.start();
});

beforeEach(async () => {
  await server.start(); // a test may have left it stopped
  admin = server.client();
});

afterEach(async () => {
  admin.disconnect();
});

afterAll(async () => {
  await server?.destroy();
});

/**
 * A broker on the dedicated server. ioredis keeps a closed client's event loop busy for
 * its disconnectTimeout (2 s) when the server is gone; short here so jest exits at once.
 */
function serverBroker(options: Omit<RedisBrokerOptions, "url"> = {}): RedisBroker {
  return h.broker({ url: server.url(), redisOptions: { disconnectTimeout: 100 }, ...options });
}

/** Everything of a namespace that would mean a message is still somewhere. */
async function leftovers(namespace: string, queue: string): Promise<Record<string, number>> {
  const k = keysOf(namespace, queue);
  const acks = await admin.keys(`${namespace}:__acks__.*`);
  let acked = 0;
  for (const key of acks) acked += await admin.scard(key);
  return {
    listed: (await admin.llen(k.queue)) + (await admin.llen(k.dq)),
    stored: (await admin.hlen(k.msgs)) + (await admin.hlen(k.dqMsgs)),
    inAckSets: acked,
    dead: await admin.zcard(k.xq),
  };
}

/** How many messages a producer sent again after a dropped connection (each may run twice). */
function resent(capture: ReturnType<typeof captureLogger>): number {
  let n = 0;
  for (const line of capture.find(LEVEL.debug, /^Sending enqueue of \d+ message\(s\) on rc again/)) n += Number(/of (\d+) message/.exec(line.msg)![1]);
  return n;
}

/** Sends `total` messages numbered 0.., 20 at a time every 10 ms (so a run lasts a while). */
async function produce(broker: RedisBroker, total: number, onBatch?: (sent: number) => void): Promise<void> {
  const tick = broker.getActor("tick");
  for (let n = 0; n < total; n += 20) {
    const batch = Array.from({ length: Math.min(20, total - n) }, (_, i) => tick.send(n + i));
    await Promise.all(batch);
    onBatch?.(n + batch.length);
    await sleep(10);
  }
}

/** Declares `tick` on each broker; every run is counted in `seen`. */
function declareTick(brokers: RedisBroker[], seen: Map<number, number>): void {
  for (const broker of brokers) {
    actor(
      function tick(n: number) {
        seen.set(n, (seen.get(n) ?? 0) + 1);
      },
      { broker, queueName: "rc" },
    );
  }
}

describe("reconnects", () => {
  it("a server restart in the middle of a run loses nothing and duplicates nothing: every message runs exactly once, queues and ack sets end empty, and the worker carries on by itself", async () => {
    const namespace = freshNamespace();
    const consumerSide = serverBroker({ namespace });
    const producerCapture = captureLogger("debug");
    const producerSide = serverBroker({ namespace, logger: producerCapture.logger });
    const seen = new Map<number, number>();
    declareTick([consumerSide, producerSide], seen);
    await h.worker(consumerSide, { concurrency: 8 });

    const TOTAL = 2000;
    let sent = 0;
    const producing = produce(producerSide, TOTAL, (n) => (sent = n));
    await waitFor("a third of the run", () => seen.size >= 600, { timeout: 15_000 });
    await server.stop("SIGKILL");
    const atRestart = { sent, ran: seen.size };
    await sleep(300);
    await server.start();
    admin.disconnect();
    admin = server.client();
    await producing;

    await waitFor(`all ${TOTAL} messages to run (ran ${seen.size})`, () => seen.size === TOTAL, { timeout: 20_000 });
    await waitFor("the queue and ack sets to empty", async () => {
      const left = await leftovers(namespace, "rc");
      return left.listed + left.stored + left.inAckSets === 0;
    }, { timeout: 10_000 });
    // Running messages stay with their consumer through the reconnect and reconcile returns
    // only what nobody holds, so a message runs twice only when its enqueue was sent again
    // (its reply lost) after a worker on another connection had already run it.
    const twice = [...seen].filter(([, count]) => count !== 1);
    expect(twice.every(([, count]) => count === 2)).toBe(true);
    expect(twice.length).toBeLessThanOrEqual(resent(producerCapture));
    expect(atRestart.sent).toBeLessThan(TOTAL); // the producer was still sending
    expect(atRestart.ran).toBeLessThan(TOTAL);
    expect(await leftovers(namespace, "rc")).toEqual({ listed: 0, stored: 0, inAckSets: 0, dead: 0 });

    // Still working after the restart, with nobody's help.
    await producerSide.getActor("tick").send(TOTAL);
    await waitFor("a message sent after the run", () => seen.has(TOTAL));
  });

  it("killed connections and a flushed script cache mid-run: workers and producers carry on, each message runs exactly once, and a fetch whose reply was lost is returned by reconcile", async () => {
    const namespace = freshNamespace();
    const k = keysOf(namespace, "rc");
    const capture = captureLogger("info");
    const first = serverBroker({ namespace, logger: capture.logger });
    const second = serverBroker({ namespace });
    const producerCapture = captureLogger("debug");
    const producerSide = serverBroker({ namespace, logger: producerCapture.logger });
    const seen = new Map<number, number>();
    declareTick([first, second, producerSide], seen);
    await h.worker(first, { concurrency: 4 });
    await h.worker(second, { concurrency: 4 });

    // What a fetch whose reply never arrived leaves behind: an id in the worker's ack set
    // that the worker does not know about.
    const lost = pythonBytes({ queue: "rc", actor: "tick", args: "[-1]", options: '{"redis_message_id":"lost-fetch"}' }).bytes;
    await admin.hset(k.msgs, "lost-fetch", lost);
    await admin.sadd(k.acks(first.brokerId), "lost-fetch");

    const TOTAL = 1500;
    let sent = 0;
    const producing = produce(producerSide, TOTAL, (n) => (sent = n));
    for (const mark of [300, 700, 1100]) {
      await waitFor(`${mark} messages`, () => seen.size >= mark, { timeout: 15_000 });
      if (mark === 300) expect(sent).toBeLessThan(TOTAL); // the producer is still sending
      await admin.script("FLUSH");
      await admin.call("CLIENT", "KILL", "TYPE", "normal");
      if (mark === 700) await admin.call("CLIENT", "KILL", "TYPE", "pubsub");
    }
    await producing;

    await waitFor(`all messages to run (ran ${seen.size})`, () => seen.size === TOTAL + 1, { timeout: 20_000 });
    await waitFor("the queue and ack sets to empty", async () => {
      const left = await leftovers(namespace, "rc");
      return left.listed + left.stored + left.inAckSets === 0;
    }, { timeout: 10_000 });
    expect(seen.get(-1)).toBe(1);
    const twice = [...seen].filter(([, count]) => count !== 1);
    expect(twice.every(([, count]) => count === 2)).toBe(true);
    expect(twice.length).toBeLessThanOrEqual(resent(producerCapture));
    expect(capture.find(LEVEL.warn, /^Returned \d+ message\(s\) to rc that a lost fetch had taken\.$/).length).toBeGreaterThanOrEqual(1);
    expect(await admin.keys(`${namespace}:__acks__.*`)).toEqual([]);
  });
});

describe("a consumer replaced after an error", () => {
  it("keeps its running messages in the ack set until they are acked: each message runs exactly once, and the replacement carries on", async () => {
    const namespace = freshNamespace();
    const capture = captureLogger("info");
    // The worker's consumer fails its next fetch with ConnectionClosed when Redis stops
    // answering for longer than operationTimeout (the server stays up; nothing reconnects).
    const broker = serverBroker({ namespace, operationTimeout: 400, logger: capture.logger });
    const runs = new Map<number, number>();
    let running = 0;
    actor(
      async function slow(n: number) {
        runs.set(n, (runs.get(n) ?? 0) + 1);
        running++;
        await sleep(2500);
        running--;
      },
      { broker, queueName: "rc" },
    );
    // prefetch above what is sent: the consumer keeps fetching while the messages run.
    await h.worker(broker, { concurrency: 4, prefetch: 16, restartDelay: 100 });
    const slow = broker.getActor("slow");
    for (let n = 0; n < 6; n++) await slow.send(n);
    await waitFor("four messages running", () => running === 4);

    await admin.call("CLIENT", "PAUSE", "1200", "ALL");
    await waitFor("the consumer to be replaced", () => capture.find(LEVEL.info, /^Restarting consumer in /).length > 0, { timeout: 5000 });
    expect(capture.find(LEVEL.fatal, /^Consumer encountered a connection error: Redis did not answer fetch on rc/).length).toBeGreaterThanOrEqual(1);

    await waitFor("all six messages to finish", () => runs.size === 6 && running === 0, { timeout: 15_000 });
    await sleep(1500); // time for a wrongly requeued message to run a second time
    expect(Object.fromEntries(runs)).toEqual({ 0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1 });
    await waitFor("the queue and ack sets to empty", async () => {
      const left = await leftovers(namespace, "rc");
      return left.listed + left.stored + left.inAckSets === 0;
    }, { timeout: 10_000 });

    await slow.send(6);
    await waitFor("a message sent after the replacement", () => runs.get(6) === 1, { timeout: 10_000 });
  });
});

describe("a retry enqueued while Redis is down", () => {
  it("is enqueued once Redis is back (the failed message is not acked away): it runs again, once, and nothing is left", async () => {
    const namespace = freshNamespace();
    const capture = captureLogger("info");
    const broker = serverBroker({ namespace, operationTimeout: 500, logger: capture.logger });
    const attempts: number[] = [];
    const flaky = actor(
      async function flaky(n: number) {
        attempts.push(n);
        if (attempts.length === 1) {
          await server.stop(); // the retry's enqueue then fails with ConnectionClosed
          throw new Error("first attempt fails");
        }
      },
      { broker, queueName: "rc", minBackoff: 10, maxBackoff: 20 },
    );
    await h.worker(broker, { restartDelay: 100 });
    await flaky.send(1);
    await waitFor("the retry's enqueue to fail", () => capture.find(LEVEL.warn, /^Could not enqueue the retry of message '.*' \(.*\); trying again in/).length > 0, { timeout: 10_000 });
    await sleep(1000);
    await server.start();
    admin.disconnect();
    admin = server.client();
    await waitFor("the retry to run", () => attempts.length === 2, { timeout: 15_000 });
    await sleep(1000);
    expect(attempts).toEqual([1, 1]);
    await waitFor("the queue and ack sets to empty", async () => {
      const left = await leftovers(namespace, "rc");
      return left.listed + left.stored + left.inAckSets + left.dead === 0;
    }, { timeout: 10_000 });
  });
});

describe("while the server is down", () => {
  it("a send rejected while Redis is down says it was not written (written: 'no'), and is not written when Redis returns", async () => {
    const namespace = freshNamespace();
    const k = keysOf(namespace, "rc");
    const broker = serverBroker({ namespace, operationTimeout: 600 });
    const tick = actor(function tick(_n: number) {}, { broker, queueName: "rc" });
    await tick.send(0);
    await admin.del(k.queue, k.msgs);
    await server.stop();
    await waitFor("the broker to see the server gone", () => !broker.connected);

    const errors = await Promise.all([1, 2, 3].map((n) => tick.send(n).then(() => undefined, (e: unknown) => e)));
    for (const error of errors) {
      expect(error).toBeInstanceOf(ConnectionClosed);
      expect((error as ConnectionClosed).written).toBe("no");
      expect((error as Error).message).toMatch(/^Redis was unreachable for 600 ms; enqueue on rc was not sent\./);
    }
    await server.start();
    admin.disconnect();
    admin = server.client();
    await waitFor("the broker to reconnect", () => tick.send(4).then(() => true, () => false), { timeout: 10_000 });
    await sleep(300);
    expect(await admin.llen(k.queue)).toBe(1); // only n=4
    expect(await admin.hlen(k.msgs)).toBe(1);
  });

  it("a send on the wire when Redis stops answering fails after operationTimeout with written: 'maybe', and did run", async () => {
    const namespace = freshNamespace();
    const k = keysOf(namespace, "rc");
    const broker = serverBroker({ namespace, operationTimeout: 400 });
    const tick = actor(function tick(_n: number) {}, { broker, queueName: "rc" });
    await tick.send(0);
    await admin.call("CLIENT", "PAUSE", "1000", "WRITE");
    const error = await tick.send(1).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionClosed);
    expect((error as ConnectionClosed).written).toBe("maybe");
    await waitFor("the paused call to run", async () => (await admin.llen(k.queue)) === 2, { timeout: 5000 });
  });

  it("a producer sending at full speed into a stopped Redis for 60 s stays within its offlineQueueBytes: the rest fail at once, and every send that resolved is in Redis exactly once", async () => {
    const namespace = freshNamespace();
    const k = keysOf(namespace, "rc");
    const LIMIT = 8 * 1024 * 1024;
    // Sends wait up to operationTimeout; 45 s leaves the last ones still waiting when Redis returns.
    const broker = serverBroker({ namespace, offlineQueueBytes: LIMIT, operationTimeout: 45_000 });
    const tick = actor(function tick(_n: number) {}, { broker, queueName: "rc" });
    await tick.send(-1);
    await admin.del(k.queue, k.msgs);
    await server.stop();
    await waitFor("the broker to see the server gone", () => !broker.connected);

    const run = await flood((n) => tick.send(n), 60_000, writtenKind);
    await server.start();
    admin.disconnect();
    admin = server.client();
    const { resolved, rejected } = await run.settled();
    const notWritten = rejected['written: "no"'] ?? 0;
    const peak = run.peakHeapGrowth;
    const sent = run.sent;
    console.log(`outage run: ${sent} sends in 60 s, ${notWritten} failed at once, ${resolved} waited and were written; heap growth peak ${(peak / 2 ** 20).toFixed(1)} MiB (bound ${LIMIT / 2 ** 20} MiB)`);
    expect(Object.keys(rejected)).toEqual(['written: "no"']); // every failure: never written
    expect(resolved + notWritten).toBe(sent);
    expect(resolved).toBeGreaterThan(0); // those waiting when Redis came back
    expect(notWritten).toBeGreaterThan(sent / 2);
    expect(await admin.llen(k.queue)).toBe(resolved);
    expect(await admin.hlen(k.msgs)).toBe(resolved);
    // The gate counts a waiting send as its bytes plus 4 KiB (about what one costs); the
    // heap also holds this test's own promises and the errors of the latest batches.
    expect(peak).toBeLessThan(3 * LIMIT);
  }, 120_000);

  it("a send fails with ConnectionClosed after operationTimeout", async () => {
    const broker = serverBroker({ operationTimeout: 500 });
    const tick = actor(function tick() {}, { broker, queueName: "rc" });
    await tick.send();
    await server.stop();

    const started = Date.now();
    await expect(tick.send()).rejects.toBeInstanceOf(ConnectionClosed);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(2000);
  });

  it("a send made during an outage succeeds once the server is back within operationTimeout", async () => {
    const namespace = freshNamespace();
    const k = keysOf(namespace, "rc");
    const broker = serverBroker({ namespace, operationTimeout: 10_000 });
    const tick = actor(function tick(_n: number) {}, { broker, queueName: "rc" });
    await tick.send(0);
    await server.stop();

    const sending = tick.send(1);
    await sleep(500);
    await server.start();
    const sent = await sending;

    expect(await admin.lrange(k.queue, 0, -1)).toContain(sent.options.redis_message_id);
  });

  it("worker.stop() and broker.close() resolve within a couple of seconds", async () => {
    const broker = serverBroker({ operationTimeout: 500 });
    const ran: number[] = [];
    const tick = actor(function tick(n: number) {
      ran.push(n);
    }, { broker, queueName: "rc" });
    const worker = new Worker(broker, { timeout: 100 });
    await worker.start();
    await tick.send(1);
    await waitFor("the worker to run", () => ran.length === 1);
    await server.stop();
    await sleep(200);

    let started = Date.now();
    await worker.stop({ timeout: 500 });
    expect(Date.now() - started).toBeLessThan(2500);

    started = Date.now();
    await broker.close();
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it("with the default operationTimeout (30 s): an idle worker stops at once, a busy one within its timeout + 5 s, and a close fails the sends waiting for Redis at once", async () => {
    const capture = captureLogger("info");
    const broker = serverBroker({ logger: capture.logger });
    const idleBroker = serverBroker({ logger: capture.logger });
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const slow = actor(async function slow() {
      started();
      await new Promise((resolve) => setTimeout(resolve, 20_000).unref());
    }, { broker, queueName: "rc" });
    actor(function idle() {}, { broker: idleBroker, queueName: "rc-idle" });
    const busy = new Worker(broker, { concurrency: 1 });
    const idle = new Worker(idleBroker, { concurrency: 1 });
    await Promise.all([busy.start(), idle.start()]);
    await slow.send();
    await running;
    await server.stop();
    await sleep(200);
    const waiting = slow.send().then(() => undefined, (e: unknown) => e); // waits for Redis to come back

    const time = async (p: Promise<unknown>) => {
      const t = Date.now();
      await p;
      return Date.now() - t;
    };
    const [idleMs, busyMs] = await Promise.all([time(idle.stop({ timeout: 1000 })), time(busy.stop({ timeout: 1000 }))]);
    // Before the fix the fetch loop waited for the operationTimeout, the close and the fetch
    // loop each had 5 s of grace in turn (idle 5 s, busy 1 + 5 + 5 s).
    expect(idleMs).toBeLessThan(1000);
    expect(busyMs).toBeLessThanOrEqual(1000 + 5000 + 200);
    const closeMs = await time(broker.close());
    expect(closeMs).toBeLessThan(1500);
    const error = await waiting;
    expect(error).toBeInstanceOf(ConnectionClosed);
    expect((error as ConnectionClosed).written).toBe("no");
    // The running message could not go back (Redis is gone): it stays in the ack set for
    // another worker after heartbeatTimeout. A warning says so; nothing is logged as an error.
    await waitFor("the warning", () => capture.find(LEVEL.warn, "Could not return the messages of rc on close").length === 1);
    expect(capture.lines.filter((l) => l.level >= LEVEL.error).map((l) => l.msg)).toEqual([]);
  });

  it("a broker that never reached its server fails sends after connectTimeout, naming why, and closes at once", async () => {
    await server.stop();
    // operationTimeout is for reconnects; a server that was never there is reported sooner.
    const broker = serverBroker({ operationTimeout: 20_000, connectTimeout: 400 });
    const tick = actor(function tick() {}, { broker, queueName: "rc" });
    let started = Date.now();
    const error = await tick.send().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionFailed);
    expect((error as Error).message).toMatch(/^Could not connect to Redis within 400 ms: .*ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(3000);
    started = Date.now();
    await broker.close();
    expect(Date.now() - started).toBeLessThan(1500);
  });
});
