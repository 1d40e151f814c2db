/**
 * Retries and shutdown on Redis (reference 17.1 items 18, 22, 23): retries travel
 * through q.DQ with growing backoff; a stopping worker puts prefetched messages back
 * at the head of q in their order, and parked delayed messages back on q.DQ.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type Broker, CurrentMessage, type Message, Middleware, actor } from "@q/core";
import { keysOf, useHarness } from "./harness";
import { LEVEL, captureLogger, deferred, waitFor } from "@q/test-support";

jest.setTimeout(15_000);

const h = useHarness();

/** Records every enqueue (retries are enqueues on the delay queue). */
class EnqueueRecorder extends Middleware {
  readonly enqueued: { message: Message; delay: number | undefined }[] = [];
  override afterEnqueue(_broker: Broker, message: Message, delay: number | undefined): void {
    this.enqueued.push({ message, delay });
  }
}

describe("retries and shutdown on Redis", () => {
  it("retries a failing actor with growing backoff through q.DQ, each attempt after its eta, then dead-letters it", async () => {
    const broker = h.broker();
    const k = keysOf(broker.namespace, "rt");
    const recorder = new EnqueueRecorder();
    broker.addMiddleware(recorder);
    const attempts: number[] = [];
    const flaky = actor(
      function flaky() {
        attempts.push(Date.now());
        throw new Error("try again");
      },
      { broker, queueName: "rt", maxRetries: 3, minBackoff: 100, maxBackoff: 60_000 },
    );

    const sent = await flaky.send();
    await h.worker(broker);
    await waitFor("the dead letter", () => h.redis.exists(k.xq), { timeout: 6000 });

    expect(attempts).toHaveLength(4);
    // Each retry is an enqueue on rt.DQ (the moves back to rt once due are enqueues too).
    const retries = recorder.enqueued.map((e) => e.message).filter((m) => m.queueName === "rt.DQ");
    expect(retries).toHaveLength(3);
    const delays: number[] = [];
    retries.forEach((retry, n) => {
      expect(retry.queueName).toBe("rt.DQ");
      expect(retry.messageId).toBe(sent.messageId);
      expect(retry.options.retries).toBe(n + 1);
      const delay = (retry.options.eta as number) - (retry.options.requeue_timestamp as number);
      // computeBackoff(n, factor 100): 100 × 2^n × U(1,2), give or take the ms between the two stamps.
      expect(delay).toBeGreaterThanOrEqual(100 * 2 ** n);
      expect(delay).toBeLessThanOrEqual(200 * 2 ** n + 5);
      expect(attempts[n + 1]!).toBeGreaterThanOrEqual(retry.options.eta as number);
      delays.push(delay);
    });
    expect(delays[1]!).toBeGreaterThan(delays[0]!);
    expect(delays[2]!).toBeGreaterThan(delays[1]!);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!);

    const [letter] = await broker.getDeadLetters("rt");
    const dead = JSON.parse(letter!.data.toString()) as { queue_name: string; message_id: string; options: Record<string, unknown> };
    expect(dead.queue_name).toBe("rt");
    expect(dead.message_id).toBe(sent.messageId);
    expect(dead.options.retries).toBe(3);
    expect(dead.options.eta).toBeUndefined();
    await waitFor("the queues to drain", async () => (await h.redis.exists(k.queue, k.msgs, k.dq, k.dqMsgs)) === 0);
  });

  it("stop() puts abandoned and prefetched messages back at the head of q, so the queue keeps its original order", async () => {
    const broker = h.broker();
    const k = keysOf(broker.namespace, "rt");
    const started: number[] = [];
    const job = actor(
      async function job(n: number) {
        started.push(n);
        // Outlives the stop timeout; ends when the worker abandons it (Shutdown interrupt).
        const { signal } = CurrentMessage.getCurrentMessage()!;
        await new Promise((resolve) => signal.addEventListener("abort", resolve));
      },
      { broker, queueName: "rt" },
    );
    const sent: Message[] = [];
    for (let n = 0; n < 8; n++) sent.push(await job.send(n));
    const ids = sent.map((m) => m.options.redis_message_id as string);

    const worker = await h.worker(broker, { concurrency: 1, prefetch: 5 });
    await waitFor("the first message to start and four more to be prefetched", async () => started.length === 1 && (await h.redis.scard(k.acks(broker.brokerId))) === 5);
    expect(await h.redis.lrange(k.queue, 0, -1)).toEqual(ids.slice(5));

    await worker.stop({ timeout: 100 });

    expect(started).toEqual([0]);
    // The abandoned running one and the prefetched ones go back in one go, in fetch order,
    // ahead of those never fetched: the queue is exactly as it was before the worker started.
    expect(await h.redis.lrange(k.queue, 0, -1)).toEqual(ids);
    expect(await h.redis.exists(k.acks(broker.brokerId))).toBe(0);
    expect((await h.redis.hkeys(k.msgs)).sort()).toEqual([...ids].sort());
  });

  it("stop() lets the running message finish, acks it, and returns every message it did not run (none lost, none left in the ack set)", async () => {
    const broker = h.broker();
    const k = keysOf(broker.namespace, "rt");
    const release = deferred();
    const started: number[] = [];
    const job = actor(
      async function job(n: number) {
        started.push(n);
        await release.promise;
      },
      { broker, queueName: "rt" },
    );
    const sent: Message[] = [];
    for (let n = 0; n < 8; n++) sent.push(await job.send(n));
    const ids = sent.map((m) => m.options.redis_message_id as string);

    const worker = await h.worker(broker, { concurrency: 1, prefetch: 5 });
    await waitFor("the first message to start and four more to be prefetched", async () => started.length === 1 && (await h.redis.scard(k.acks(broker.brokerId))) === 5);

    const stopping = worker.stop({ timeout: 5000 });
    release.resolve(); // the running one finishes within the timeout and is acked
    await stopping;

    expect(started).toEqual([0]);
    // Everything it did not run is back, in the original order (a message fetched while
    // the stop was under way goes back together with the prefetched ones).
    expect(await h.redis.lrange(k.queue, 0, -1)).toEqual(ids.slice(1));
    expect(await h.redis.exists(k.acks(broker.brokerId))).toBe(0);
    expect((await h.redis.hkeys(k.msgs)).sort()).toEqual(ids.slice(1).sort());
  });

  it("stop() puts delayed messages parked in memory back on q.DQ", async () => {
    const broker = h.broker();
    const k = keysOf(broker.namespace, "rt");
    const ran: number[] = [];
    const later = actor(
      function later(n: number) {
        ran.push(n);
      },
      { broker, queueName: "rt" },
    );
    const sent: Message[] = [];
    for (let n = 0; n < 3; n++) sent.push(await later.sendWithOptions({ args: [n], delay: 60_000 + n }));
    const ids = sent.map((m) => m.options.redis_message_id as string);
    const bytes = await Promise.all(ids.map((id) => h.redis.hgetBuffer(k.dqMsgs, id)));

    const worker = await h.worker(broker);
    const dqAcks = k.acks(broker.brokerId, "rt.DQ");
    await waitFor("the three to be parked", async () => (await h.redis.scard(dqAcks)) === 3);
    expect(await h.redis.exists(k.dq)).toBe(0);

    await worker.stop({ timeout: 1000 });

    expect(ran).toEqual([]);
    expect(await h.redis.exists(dqAcks)).toBe(0);
    expect(await h.redis.lrange(k.dq, 0, -1)).toEqual(ids);
    const after = await Promise.all(ids.map((id) => h.redis.hgetBuffer(k.dqMsgs, id)));
    after.forEach((b, i) => expect(b!.equals(bytes[i]!)).toBe(true));
    expect(await h.redis.exists(k.queue, k.msgs)).toBe(0);
  });

  it("closing the broker under a running worker does not block the event loop; the worker reports it and still stops", async () => {
    const { logger, find } = captureLogger("info");
    const broker = h.broker({ logger });
    const ran: number[] = [];
    const job = actor(function job(n: number) {
      ran.push(n);
    }, { broker, queueName: "rt" });
    const worker = await h.worker(broker, { restartDelay: 200 });
    await job.send(1);
    await waitFor("the message to run", () => ran.length === 1);
    await broker.join("rt", { timeout: 5000 });

    await broker.close(); // the wrong order: the worker is still running
    const tickedAt = Date.now();
    await sleep(50); // a timer must still fire on time
    expect(Date.now() - tickedAt).toBeLessThan(1000);
    await waitFor("the worker to report its closed consumer", () => find(LEVEL.fatal, /connection error: The (consumer of rt|broker) is closed/).length > 0);

    const stopping = Date.now();
    await worker.stop({ timeout: 1000 });
    expect(Date.now() - stopping).toBeLessThan(2000);
  });
});
