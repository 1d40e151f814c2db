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
    // Without the piggy-backing this is about 2 × N (a fetch and an ack per message).
    expect(fetchesAndAcks).toBeLessThanOrEqual(N + N / 10);
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
});
