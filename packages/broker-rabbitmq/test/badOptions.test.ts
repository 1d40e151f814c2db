/**
 * Option values that cannot be used, in messages a Python producer published raw: each is
 * logged as a warning naming the message, and the documented fallback applies
 * (docs/middleware.md). Nothing crashes, and nothing waits forever in a delay bucket.
 */
import { CurrentMessage, actor } from "@q/core";
import { LEVEL, captureLogger, waitFor } from "@q/test-support";
import { useHarness } from "./harness";
import { pythonBytes } from "./pythonSide";

jest.setTimeout(15_000);

const h = useHarness();

test.each(['"soon"', "Infinity", "NaN"])("eta %s on the delay queue: the message runs now, with a warning, never bucketed", async (eta) => {
  const queue = h.queue("badeta");
  await h.python.declare(queue);
  const logs = captureLogger("info");
  const broker = h.broker({ logger: logs.logger });
  const ran: string[] = [];
  actor(
    function later() {
      ran.push(CurrentMessage.getCurrentMessage()!.messageId);
    },
    { broker, queueName: queue },
  );
  await h.worker(broker);

  const { bytes, messageId } = pythonBytes({ queue: `${queue}.DQ`, actor: "later", args: "[]", options: `{"eta":${eta}}` });
  await h.python.publish(`${queue}.DQ`, bytes);
  await waitFor("the message to run", () => ran.length === 1, { timeout: 5000 });

  expect(ran).toEqual([messageId]);
  expect(logs.find(LEVEL.warn, "Invalid eta").map((l) => l.msg)).toEqual([`Invalid eta value ${eta} for message ${messageId}; treating it as due now.`]);
});

test('max_retries "lots": the actor\'s maxRetries applies, with a warning per delivery', async () => {
  const queue = h.queue("badretries");
  await h.python.declare(queue);
  const logs = captureLogger("info");
  const broker = h.broker({ logger: logs.logger });
  let attempts = 0;
  actor(
    function flaky() {
      attempts++;
      throw new Error("no");
    },
    { broker, queueName: queue, maxRetries: 1, minBackoff: 10, maxBackoff: 20 },
  );
  await h.worker(broker);

  const { bytes, messageId } = pythonBytes({ queue, actor: "flaky", args: "[]", options: '{"max_retries":"lots"}' });
  await h.python.publish(queue, bytes);
  const dead = await waitFor("the dead letter", async () => {
    const got = await h.python.peek(`${queue}.XQ`);
    return got.length ? got : undefined;
  }, { timeout: 5000 });

  expect(attempts).toBe(2);
  expect(dead).toHaveLength(1);
  expect(logs.find(LEVEL.warn, "has an invalid").map((l) => l.msg)).toEqual([
    `Message ${messageId} has an invalid max_retries option "lots" (expected a non-negative integer, or null to retry forever; using the actor's maxRetries (1) instead).`,
    `Message ${messageId} has an invalid max_retries option "lots" (expected a non-negative integer, or null to retry forever; using the actor's maxRetries (1) instead).`,
  ]);
});
