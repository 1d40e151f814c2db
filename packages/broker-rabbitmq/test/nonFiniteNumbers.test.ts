/**
 * A Python producer's NaN, Infinity and -Infinity (bare JSON tokens) must come back from
 * RabbitMQ as the same tokens after every re-encode an @q worker does: the move of a
 * delayed message to its queue and the retry onto the delay queue. Written as null, a
 * Python worker would read `time_limit: null` as "the default 10 minutes".
 */
import { type Broker, CurrentMessage, type MessageProxy, Middleware, actor } from "@q/core";
import { waitFor } from "@q/test-support";
import { useHarness } from "./harness";
import { pythonBytes } from "./pythonSide";

jest.setTimeout(15_000);

const h = useHarness();
const ARGS = "[NaN,Infinity,-Infinity]";

/** The bytes RabbitMQ delivered for each message parked on a delay queue. */
class DelayedBytes extends Middleware {
  readonly raw: string[] = [];
  override beforeDelayMessage(_broker: Broker, message: MessageProxy): void {
    this.raw.push(message.raw!.toString("ascii"));
  }
}

test("a Python message with NaN, Infinity and time_limit: Infinity keeps Python's tokens through a delay move, a retry and the dead letter", async () => {
  const queue = h.queue("nonfinite");
  await h.python.declare(queue);
  const broker = h.broker();
  const delayed = new DelayedBytes();
  broker.addMiddleware(delayed);
  const seen: { args: unknown[]; timeLimit: unknown; raw: string }[] = [];
  actor(
    function odd(...args: number[]) {
      const m = CurrentMessage.getCurrentMessage()!;
      seen.push({ args, timeLimit: m.options.time_limit, raw: m.raw!.toString("ascii") });
      throw new Error("again");
    },
    { broker, queueName: queue },
  );
  await h.worker(broker);

  const options = `{"time_limit":Infinity,"max_retries":1,"min_backoff":10,"max_backoff":20,"eta":${Date.now() + 50}}`;
  const { bytes, messageId } = pythonBytes({ queue: `${queue}.DQ`, actor: "odd", args: ARGS, options });
  await h.python.publish(`${queue}.DQ`, bytes);
  await waitFor("both attempts", () => seen.length === 2, { timeout: 5000 });
  const dead = await h.python.settled(`${queue}.XQ`);

  // Attempt 1 after the delay move, attempt 2 after the retry's move: both got the values.
  expect(seen.map((s) => [s.args, s.timeLimit])).toEqual([
    [[NaN, Infinity, -Infinity], Infinity],
    [[NaN, Infinity, -Infinity], Infinity],
  ]);
  expect(delayed.raw).toHaveLength(2);
  expect(delayed.raw[0]).toBe(bytes.toString("ascii"));
  expect(dead).toHaveLength(1);
  // @q wrote all of these: the two moves, the retry on q.DQ and (dead-lettered as delivered) the last move.
  const written = [seen[0]!.raw, delayed.raw[1]!, seen[1]!.raw, dead[0]!.body.toString("ascii")];
  for (const text of written) {
    expect(text).toContain(`"args":${ARGS}`);
    expect(text).toContain('"time_limit":Infinity');
    expect(text).not.toContain("null");
    expect(text).toContain(`"message_id":"${messageId}"`);
  }
});
