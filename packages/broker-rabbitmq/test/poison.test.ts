/**
 * Poison messages (17.1 #27): a payload that does not decode, or names an actor
 * nobody declared, is dead-lettered with the reason logged, and the consumer goes on.
 */
import { Message, actor } from "@q/core";
import { useHarness } from "./harness";
import { LEVEL, captureLogger } from "@q/test-support";
import { pythonBytes } from "./pythonSide";

const h = useHarness();

test("an undecodable payload is dead-lettered as received, the reason is logged, and the next message runs", async () => {
  const queue = h.queue("poison");
  await h.python.declare(queue);
  const { logger, find } = captureLogger("info");
  const broker = h.broker({ logger });
  const seen: number[] = [];
  const good = actor(
    function after_poison(n: number) {
      seen.push(n);
    },
    { broker, queueName: queue },
  );
  await h.worker(broker);
  await h.python.publish(queue, "{not json");
  await good.send(1);
  await broker.join(queue, { timeout: 5000 });
  expect(seen).toEqual([1]);
  const dead = await h.python.settled(`${queue}.XQ`);
  expect(dead.map((d) => d.body.toString())).toEqual(["{not json"]);
  expect(dead[0]!.properties.headers!["x-first-death-reason"]).toBe("rejected");
  const [line] = find(LEVEL.error, `Dead-lettered an undecodable message on ${queue}`);
  expect(line?.err?.message).toMatch(/JSON|decode/i);
});

test("a message for an unknown actor is dead-lettered with the reason logged", async () => {
  const queue = h.queue("orphan");
  await h.python.declare(queue);
  const { logger, find } = captureLogger("info");
  const broker = h.broker({ logger });
  actor(function known_actor() {}, { broker, queueName: queue });
  await h.worker(broker);
  const { bytes, messageId } = pythonBytes({ queue, actor: "nobody_declared_this", args: "[]" });
  await h.python.publish(queue, bytes);
  await broker.join(queue, { timeout: 5000 });
  const dead = await h.python.settled(`${queue}.XQ`);
  expect(dead).toHaveLength(1);
  expect(Message.decode(dead[0]!.body).messageId).toBe(messageId);
  expect(find(LEVEL.error, "undefined actor 'nobody_declared_this'")).toHaveLength(1);
});
