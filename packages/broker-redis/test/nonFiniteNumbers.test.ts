/**
 * A Python producer's NaN, Infinity and -Infinity (bare JSON tokens) must come back from
 * the server as the same tokens after every re-encode an @q worker does on Redis: the
 * move of a delayed message to its queue and the retry onto the delay queue. Written as
 * null, a Python worker would read `time_limit: null` as "the default 10 minutes".
 */
import { randomUUID } from "node:crypto";
import { type Broker, CurrentMessage, type MessageProxy, Middleware, actor } from "@q/core";
import { waitFor } from "@q/test-support";
import { keysOf, pythonBytes, rawEnqueue, useHarness } from "./harness";

jest.setTimeout(15_000);

const h = useHarness();
const ARGS = "[NaN,Infinity,-Infinity]";

/** The bytes Redis delivered for each message parked on a delay queue. */
class DelayedBytes extends Middleware {
  readonly raw: string[] = [];
  override beforeDelayMessage(_broker: Broker, message: MessageProxy): void {
    this.raw.push(message.raw!.toString("ascii"));
  }
}

test("a Python message with NaN, Infinity and time_limit: Infinity keeps Python's tokens through a delay move, a retry and the dead letter", async () => {
  const broker = h.broker();
  const k = keysOf(broker.namespace, "py");
  const delayed = new DelayedBytes();
  broker.addMiddleware(delayed);
  const seen: { args: unknown[]; timeLimit: unknown; raw: string; stored: string }[] = [];
  actor(
    async function odd(...args: number[]) {
      const m = CurrentMessage.getCurrentMessage()!;
      // What the server holds for this delivery, read back while it is in flight.
      const stored = (await h.redis.hgetBuffer(k.msgs, m.options.redis_message_id as string))!.toString("ascii");
      seen.push({ args, timeLimit: m.options.time_limit, raw: m.raw!.toString("ascii"), stored });
      throw new Error("again");
    },
    { broker, queueName: "py" },
  );
  await h.worker(broker);

  const id = randomUUID();
  const options = `{"time_limit":Infinity,"max_retries":1,"min_backoff":10,"max_backoff":20,"redis_message_id":"${id}","eta":${Date.now() + 50}}`;
  const { bytes, messageId } = pythonBytes({ queue: "py.DQ", actor: "odd", args: ARGS, options });
  await rawEnqueue(h.redis, broker.namespace, "py.DQ", id, bytes);
  await waitFor("the dead letter", () => h.redis.exists(k.xq), { timeout: 5000 });

  // Attempt 1 after the delay move, attempt 2 after the retry's move: both got the values.
  expect(seen.map((s) => [s.args, s.timeLimit])).toEqual([
    [[NaN, Infinity, -Infinity], Infinity],
    [[NaN, Infinity, -Infinity], Infinity],
  ]);
  expect(delayed.raw).toHaveLength(2);
  expect(delayed.raw[0]).toBe(bytes.toString("ascii"));
  const [deadId] = await h.redis.zrange(k.xq, "0", "-1");
  const dead = (await h.redis.hgetBuffer(k.xqMsgs, deadId!))!.toString("ascii");
  // @q wrote all of these: the two moves, the retry on py.DQ and the dead letter.
  const written = [seen[0]!.raw, seen[0]!.stored, delayed.raw[1]!, seen[1]!.raw, seen[1]!.stored, dead];
  for (const text of written) {
    expect(text).toContain(`"args":${ARGS}`);
    expect(text).toContain('"time_limit":Infinity');
    expect(text).not.toContain("null");
    expect(text).toContain(`"message_id":"${messageId}"`);
  }
});
