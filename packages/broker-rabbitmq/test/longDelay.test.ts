/**
 * Long delays against a server whose consumer_timeout is 3 s (checked every second):
 * a consumer that holds a delivery longer gets its channel closed by RabbitMQ, as
 * Dramatiq's workers do with any delay past the timeout. @q holds a delayed delivery
 * at most `maxDelayHold` and parks the rest in delay buckets on the server.
 */
import { setTimeout as sleep } from "node:timers/promises";
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

describe("an actor that runs longer than consumer_timeout", () => {
  test("gets its channel closed: every unacked delivery on it is delivered again, the running one included", async () => {
    const queue = h.queue("overrun");
    const { logger, lines } = captureLogger("info");
    // consumerTimeout tells @q the server's value (it only decides the boot warning).
    const broker = h.broker({ logger, consumerTimeout: 3000 });
    const runs: string[] = [];
    let slowRuns = 0;
    const job = actor(
      async function overrun(tag: string) {
        runs.push(tag);
        // The first run holds its delivery past the server's 3 s (checked every second).
        if (tag === "slow" && ++slowRuns === 1) await sleep(7000);
      },
      { broker, queueName: queue },
    );
    await h.worker(broker, { concurrency: 1 }); // prefetch 2: "queued" waits, unacked, behind "slow"
    await job.send("slow");
    await waitFor("the slow message to start", () => runs.length === 1);
    await job.send("queued");
    await waitFor("both messages to have run after the redelivery", () => runs.length === 3, { timeout: 30_000, interval: 50 });
    await broker.join(queue, { timeout: 10_000 });
    expect(runs).toEqual(["slow", "slow", "queued"]);
    const warned = lines.filter((l) => l.level >= LEVEL.warn).map((l) => l.msg);
    expect(warned).toEqual([
      expect.stringMatching(/^Actor 'overrun' has a time limit of 600000 ms \(10 min\), longer than RabbitMQ's consumer_timeout \(3000 ms \(3 s\)\): /),
      expect.stringMatching(new RegExp(`^RabbitMQ closed the channel of ${queue}: .*PRECONDITION_FAILED - delivery acknowledgement on channel \\d+ timed out`)),
      `Consumer encountered a connection error: The channel of ${queue} closed with 2 message(s) handed out; RabbitMQ delivers them again.`,
      expect.stringMatching(/^Could not ack message [0-9a-f-]{36}: the channel it came on is closed, so RabbitMQ delivers it again\. \(not acked\)$/),
    ]);
    // The ack that did nothing says why at warning level (the message runs again, as designed:
    // nothing for the user to act on beyond the channel warning above), and no error is logged.
    const failedAck = lines.find((l) => l.msg.startsWith("Could not ack message"))!;
    expect(failedAck.level).toBe(LEVEL.warn);
    expect(lines.filter((l) => l.level === LEVEL.error).map((l) => l.msg)).toEqual([]);
  });

  test.each<[string, number | null, number | undefined, boolean]>([
    ["31 min, with the server's default consumer_timeout: warned about", 31 * 60_000, undefined, true],
    ["29 min, with the server's default: not warned about", 29 * 60_000, undefined, false],
    ["31 min, with consumerTimeout set to the server's 60 min: not warned about", 31 * 60_000, 60 * 60_000, false],
    ["none (Infinity), with the server's default: warned about", Infinity, undefined, true],
    ["none, with consumerTimeout Infinity (the server's is off): not warned about", Infinity, Infinity, false],
  ])("a time limit of %s (checked once, when a worker starts consuming)", async (_title, timeLimit, consumerTimeout, warned) => {
    const queue = h.queue("limits");
    const { logger, lines } = captureLogger("info");
    const broker = h.broker({ logger, consumerTimeout });
    actor(async function long_report() {}, { broker, queueName: queue, timeLimit: timeLimit as number });
    actor(async function quick_report() {}, { broker, queueName: queue }); // the default 10 min: never
    const worker = await h.worker(broker);
    await worker.whenConnected();
    const limit = timeLimit === Infinity ? "has no time limit" : `has a time limit of ${timeLimit} ms (${timeLimit! / 60_000} min)`;
    expect(lines.filter((l) => l.level >= LEVEL.warn).map((l) => l.msg)).toEqual(
      warned
        ? [
            `Actor 'long_report' ${limit}, longer than RabbitMQ's consumer_timeout (1800000 ms (30 min), the server's default): ` +
              "a message of it that runs that long gets its channel closed by RabbitMQ, which then delivers every unacked message " +
              "of that channel again, the running one included. Raise consumer_timeout on the server and pass the same value " +
              "as the broker's consumerTimeout option, or give the actor a shorter timeLimit.",
          ]
        : [],
    );
  });
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
