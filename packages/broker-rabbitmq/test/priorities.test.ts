/**
 * brokerPriority orders only what is still on the server (docs/actors.md, Priorities): a
 * message a worker has already prefetched is not overtaken, so strict priority order needs
 * `prefetch` equal to `concurrency`.
 */
import { actor } from "@q/core";
import { deferred, waitFor } from "@q/test-support";
import { useHarness } from "./harness";

const h = useHarness();

/** Runs `first` (held until released), then sends low, low, low, high while it runs; returns the run order. */
async function runOrder(prefetch: number | undefined): Promise<string[]> {
  const queue = h.queue("prio_prefetch");
  const broker = h.broker({ maxPriority: 10, confirmDelivery: true });
  const order: string[] = [];
  const release = deferred();
  const job = actor(
    async function prio_prefetch(tag: string) {
      order.push(tag);
      if (tag === "first") await release.promise;
    },
    { broker, queueName: queue },
  );
  await h.worker(broker, { concurrency: 1, ...(prefetch === undefined ? {} : { prefetch }) });
  await job.send("first");
  await waitFor("the first message to run", () => order.includes("first"));
  for (const tag of ["low1", "low2", "low3"]) await job.sendWithOptions({ args: [tag], brokerPriority: 1 });
  await job.sendWithOptions({ args: ["high"], brokerPriority: 9 });
  release.resolve();
  await broker.join(queue, { timeout: 10_000 });
  return order;
}

test("with prefetch equal to concurrency, a high brokerPriority overtakes every waiting message", async () => {
  expect(await runOrder(1)).toEqual(["first", "high", "low1", "low2", "low3"]);
});

test("with the default prefetch (2 × concurrency), the message already prefetched runs before the high one", async () => {
  expect(await runOrder(undefined)).toEqual(["first", "low1", "high", "low2", "low3"]);
});
