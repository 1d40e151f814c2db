/**
 * Queues that disappear (deleted by an operator or another tool) are declared again:
 * by a consuming worker when RabbitMQ cancels its consumer (17.1 #28), and by a
 * producer when RabbitMQ returns a message it could not route (publishes are mandatory).
 */
import { actor } from "@q/core";
import { useHarness } from "./harness";
import { LEVEL, captureLogger, waitFor } from "@q/test-support";

const h = useHarness();

test("a consuming worker declares its queues again when they are deleted (17.1 #28)", async () => {
  const queue = h.queue("redeclare");
  const { logger, find } = captureLogger("info");
  const broker = h.broker({ logger });
  const seen: number[] = [];
  const job = actor(
    function redeclared(n: number) {
      seen.push(n);
    },
    { broker, queueName: queue },
  );
  await h.worker(broker);
  await job.send(1);
  await waitFor("the first message", () => seen.length === 1);

  await h.python.delete(queue, `${queue}.DQ`, `${queue}.XQ`);
  // q, q.DQ and q.XQ are declared in that order: the last one there means all are.
  await waitFor("the queues to be declared again", () => h.python.exists(`${queue}.XQ`));
  expect(await h.python.exists(queue)).toBe(true);
  expect(find(LEVEL.warn, /cancelled the consumer of/).length).toBeGreaterThanOrEqual(1);
  await job.send(2);
  await waitFor("a message sent after the deletion", () => seen.length === 2);
  expect(seen).toEqual([1, 2]);
});

test.each([
  ["without confirms", false],
  ["with confirms", true],
])("a producer whose queue was deleted declares it again and republishes (%s)", async (_title, confirmDelivery) => {
  const queue = h.queue("returned");
  const { logger, find } = captureLogger("info");
  const producer = h.broker({ logger, confirmDelivery });
  const job = actor(function returned_job(_n: number) {}, { broker: producer, queueName: queue });
  await job.send(1);
  await h.python.delete(queue, `${queue}.DQ`, `${queue}.XQ`);
  await job.send(2);
  const got = await waitFor("the republished message", async () => (await h.python.exists(queue)) && (await h.python.settled(queue)).length === 1 && true);
  expect(got).toBe(true);
  expect(find(LEVEL.warn, `RabbitMQ returned a message for ${queue}`)).toHaveLength(1);
  expect(await h.python.exists(`${queue}.XQ`)).toBe(true);
});
