/**
 * A consumer's acks ride on its next fetch (the `ackfetch` dispatch command): one script
 * call per message at concurrency 1 instead of two, without running anything twice and
 * without ever holding more than the prefetch in this worker's ack set.
 */
import { actor } from "@q/core";
import { waitFor } from "@q/test-support";
import { keysOf, useHarness } from "./harness";

jest.setTimeout(20_000);

const h = useHarness();
const N = 300;

function countBy(values: readonly unknown[]): Map<unknown, number> {
  const counts = new Map<unknown, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

describe("acks sent with the next fetch", () => {
  test.each([1, 4])("at concurrency %i every message runs exactly once, the ack set stays within the prefetch, and acks ride on fetches", async (concurrency) => {
    const broker = h.broker();
    const k = keysOf(broker.namespace, "af");
    const prefetch = 2 * concurrency;
    const runs: number[] = [];
    let mostHeld = 0;
    const count = actor(
      async function count(i: number) {
        runs.push(i);
        mostHeld = Math.max(mostHeld, await h.redis.scard(k.acks(broker.brokerId)));
      },
      { broker, queueName: "af" },
    );
    await broker.enqueueMany(Array.from({ length: N }, (_, i) => count.message(i)));
    const dispatch = jest.spyOn(broker, "dispatch");

    const worker = await h.worker(broker, { concurrency });
    await waitFor("every message to run", () => runs.length >= N);
    await worker.join();

    const perMessage = countBy(runs);
    expect(perMessage.size).toBe(N);
    expect([...perMessage.values()].every((n) => n === 1)).toBe(true);
    expect(mostHeld).toBeGreaterThan(0);
    expect(mostHeld).toBeLessThanOrEqual(prefetch);
    // Acked for good: nothing left in the queue, the payloads or the ack set.
    expect(await h.redis.llen(k.queue)).toBe(0);
    expect(await h.redis.hlen(k.msgs)).toBe(0);
    expect(await h.redis.scard(k.acks(broker.brokerId))).toBe(0);

    const calls = countBy(dispatch.mock.calls.filter((c) => c[1] === "af").map((c) => c[0]));
    const fetchesAndAcks = (calls.get("fetch") ?? 0) + (calls.get("ack") ?? 0) + (calls.get("ackfetch") ?? 0);
    // Without the piggy-backing this is 2 × N (a fetch and an ack per message). With it, most
    // acks carry the next fetch; some still go alone when a fetch of the consumer's own loop
    // is in flight at that moment (up to about a third of them at concurrency 1 here).
    expect(fetchesAndAcks).toBeLessThanOrEqual(1.6 * N);
    expect(calls.get("ackfetch") ?? 0).toBeGreaterThan(0);
  });

  test("a worker stopped right after its last message still acks it: nothing runs again in the next worker", async () => {
    const broker = h.broker();
    const k = keysOf(broker.namespace, "af2");
    const runs: number[] = [];
    const count = actor(
      function count(i: number) {
        runs.push(i);
      },
      { broker, queueName: "af2" },
    );
    await broker.enqueueMany(Array.from({ length: 50 }, (_, i) => count.message(i)));
    const worker = await h.worker(broker, { concurrency: 1 });
    await waitFor("every message to run", () => runs.length >= 50);
    await worker.stop({ timeout: 5000 });
    expect(await h.redis.hlen(k.msgs)).toBe(0);

    const next = await h.worker(broker, { concurrency: 1 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await next.join();
    expect(runs).toHaveLength(50);
    expect(countBy(runs).size).toBe(50);
  });

  test("an idle worker makes two calls per message that arrives with a wake-up (its fetch, and its ack with the next fetch), and still polls for messages without one", async () => {
    const broker = h.broker();
    const k = keysOf(broker.namespace, "af3");
    const runs: number[] = [];
    const count = actor(
      function count(i: number) {
        runs.push(i);
      },
      { broker, queueName: "af3" },
    );
    const worker = await h.worker(broker, { concurrency: 10, timeout: 200 });
    await worker.whenConnected();
    const dispatch = jest.spyOn(broker, "dispatch");
    for (let i = 0; i < 50; i++) {
      await count.send(i);
      await waitFor("the message to run", () => runs.length > i, { interval: 1 });
    }
    await worker.join();
    const calls = countBy(dispatch.mock.calls.filter((c) => c[1] === "af3" && c[0] !== "enqueue").map((c) => c[0]));
    const perMessage = ((calls.get("fetch") ?? 0) + (calls.get("ackfetch") ?? 0) + (calls.get("ack") ?? 0)) / 50;
    // Without the wake-up bookkeeping this is about 4: an empty fetch after each hand-out and after each ack.
    expect(perMessage).toBeLessThanOrEqual(2.5);
    expect(runs).toEqual(Array.from({ length: 50 }, (_, i) => i));

    // A message written by a producer that publishes no wake-up (Python Dramatiq) is found by the poll.
    await h.redis.hset(k.msgs, "py-1", JSON.stringify({ ...count.message(99).toDict(), message_id: "py-1" }));
    await h.redis.rpush(k.queue, "py-1");
    const written = Date.now();
    await waitFor("the polled message to run", () => runs.includes(99), { timeout: 3000, interval: 5 });
    expect(Date.now() - written).toBeLessThan(200 + 300);
  });
});
