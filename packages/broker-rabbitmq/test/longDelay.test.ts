/**
 * Long delays against a server whose consumer_timeout is 3 s (checked every second):
 * a consumer that holds a delivery longer gets its channel closed by RabbitMQ, as
 * Dramatiq's workers do with any delay past the timeout. @q holds a delayed delivery
 * at most `maxDelayHold` and parks the rest in delay buckets on the server.
 */
import { Message, actor } from "@q/core";
import { useHarness } from "./harness";
import { pythonBytes } from "./pythonSide";
import { useRabbitServer } from "./rabbitServer";
import { LEVEL, captureLogger, waitFor } from "@q/test-support";

jest.setTimeout(60_000);

const server = useRabbitServer({ consumerTimeout: 3000 });
const h = useHarness(() => server().url());

test("the test server closes a channel that holds a delivery past consumer_timeout (the trap Dramatiq falls into)", async () => {
  const queue = h.queue("trap");
  await h.python.declare(queue);
  await h.python.publish(queue, "held");
  const channel = await (await h.python.connection()).createChannel();
  const closedWith = new Promise<string>((resolve) => channel.on("error", (err: Error) => resolve(err.message)));
  await channel.consume(queue, () => undefined, { noAck: false }); // never acks
  const started = Date.now();
  expect(await closedWith).toMatch(/PRECONDITION_FAILED - delivery acknowledgement .* timed out/);
  expect(Date.now() - started).toBeLessThan(6000);
});

test("a delay far past consumer_timeout runs at its eta without the server closing the worker's channel", async () => {
  const queue = h.queue("late");
  const { logger, lines } = captureLogger();
  const broker = h.broker({ maxDelayHold: 1000, logger });
  const ran: number[] = [];
  const later = actor(
    function late_job() {
      ran.push(Date.now());
    },
    { broker, queueName: queue },
  );
  await h.worker(broker);
  const sent = await later.sendWithOptions({ delay: 9000 });
  const eta = sent.options.eta as number;
  // 9 s → a 4 s bucket, then another 4 s bucket, then held for the last second.
  await waitFor("a delay bucket", () => h.python.exists(`${queue}.DQ.wait.4`), { timeout: 3000 });
  await waitFor("the delayed message to run", () => ran.length > 0, { timeout: 15_000, interval: 50 });
  expect(ran).toHaveLength(1);
  expect(ran[0]!).toBeGreaterThanOrEqual(eta);
  expect(ran[0]! - eta).toBeLessThan(2000);
  // No channel closed by the server, no consumer restarts: nothing at warn or above.
  expect(lines.filter((l) => l.level >= LEVEL.warn).map((l) => l.msg)).toEqual([]);
  await broker.join(queue, { timeout: 5000 });
});

test("a delayed message Python wrote to q.DQ still runs at its eta", async () => {
  const queue = h.queue("pydq");
  await h.python.declare(queue);
  const { logger, lines } = captureLogger();
  const broker = h.broker({ maxDelayHold: 1000, logger });
  const seen: number[] = [];
  actor(
    function py_late(n: number) {
      seen.push(n, Date.now());
    },
    { broker, queueName: queue },
  );
  const eta = Date.now() + 6000;
  const { bytes } = pythonBytes({ queue: `${queue}.DQ`, actor: "py_late", args: "[7]", options: `{"eta":${eta}}` });
  await h.python.publish(`${queue}.DQ`, bytes);
  await h.worker(broker);
  await waitFor("the Python message to run", () => seen.length > 0, { timeout: 15_000, interval: 50 });
  expect(seen[0]).toBe(7);
  expect(seen[1]!).toBeGreaterThanOrEqual(eta);
  expect(seen[1]! - eta).toBeLessThan(2000);
  expect(lines.filter((l) => l.level >= LEVEL.warn).map((l) => l.msg)).toEqual([]);
});

test("the queues' arguments are exactly Dramatiq's (rabbitmqctl list_queues, as spec 7.1 captured)", async () => {
  const queue = h.queue("layout");
  const plain = h.broker();
  await plain.enqueue(new Message({ queueName: queue, actorName: "x" }));
  const prio = h.queue("layoutprio");
  const withPriority = h.broker({ maxPriority: 10 });
  await withPriority.enqueue(new Message({ queueName: prio, actorName: "x" }));
  const listing = await server().ctl(["list_queues", "name", "durable", "auto_delete", "arguments", "--quiet", "--no-table-headers"]);
  const row = (name: string) =>
    listing
      .split("\n")
      .map((l) => l.trim().split(/\t/))
      .find((cols) => cols[0] === name)
      ?.slice(1)
      .join(" ");
  expect(row(queue)).toBe(`true false [{"x-dead-letter-exchange",[]},{"x-dead-letter-routing-key","${queue}.XQ"}]`);
  expect(row(`${queue}.DQ`)).toBe(`true false [{"x-dead-letter-exchange",[]},{"x-dead-letter-routing-key","${queue}.XQ"}]`);
  expect(row(`${queue}.XQ`)).toBe(`true false [{"x-message-ttl",604800000}]`);
  expect(row(prio)).toBe(
    `true false [{"x-dead-letter-exchange",[]},{"x-dead-letter-routing-key","${prio}.XQ"},{"x-max-priority",10}]`,
  );
});
