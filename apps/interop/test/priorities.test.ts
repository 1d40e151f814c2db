/**
 * RabbitMQ priorities with the real Dramatiq: both sides declare the queues with
 * `x-max-priority` 10 (in either order, no PRECONDITION_FAILED), and `broker_priority` set by
 * either producer orders delivery to either worker.
 */
import { waitFor } from "@q/test-support";
import { DIRECTIONS, useInterop } from "./interop";

jest.setTimeout(60_000);
const h = useInterop("rabbitmq", { maxPriority: 10 });

describe.each(DIRECTIONS)("RabbitMQ, max_priority 10: %s producer → %s worker", (producer, workerLang) => {
  it("the producer declares first, the worker second (no PRECONDITION_FAILED); waiting messages run highest broker_priority first", async () => {
    const priorities = [1, 5, 3, 9, 0, 7];
    await h().send(
      producer,
      priorities.map((p) => ({ actor: "ranked", args: [p], options: { broker_priority: p } })),
    );
    const worker = await h().worker(workerLang, [{ name: "ranked" }], { concurrency: 1, prefetch: 1 });
    await waitFor("all runs", () => worker.received().length >= priorities.length, { timeout: 15_000 });
    expect(worker.received().map((r) => r.args[0])).toEqual([9, 7, 5, 3, 1, 0]);
    expect(worker.received().map((r) => r.options.broker_priority)).toEqual([9, 7, 5, 3, 1, 0]);
  });

  it("the worker declares first, the producer second: messages sent to a running worker all run once", async () => {
    const worker = await h().worker(workerLang, [{ name: "ranked" }]);
    const sent = await h().send(producer, [2, 8].map((p) => ({ actor: "ranked", args: [p], options: { broker_priority: p } })));
    await waitFor("both runs", () => worker.received().length >= 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(worker.received().map((r) => r.message_id).sort()).toEqual(sent.map((s) => s.message_id).sort());
  });
});
