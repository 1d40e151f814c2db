/**
 * Python writes NaN, Infinity and -Infinity as bare tokens and @q reads them; every
 * re-encode on the worker side (delay move, retry, callbacks, pipelines) must write them
 * back the same way, never as null (a Python worker reads `time_limit: null` as "the
 * default 10 minutes").
 */
import { type Broker, CurrentMessage, type MessageData, type MessageProxy, Middleware, actor } from "@q/core";
import { randomUUID } from "node:crypto";
import { newBroker, startWorker, stopStartedWorkers } from "./harness";

afterEach(stopStartedWorkers);

const ARGS = "[NaN,Infinity,-Infinity]";

/** Message bytes as Python writes them; `args` and `options` are JSON text (JSON.stringify cannot write NaN). */
function pythonBytes(f: { queue: string; actor: string; args: string; options: string }): { bytes: Buffer; messageId: string } {
  const messageId = randomUUID();
  const text =
    `{"queue_name":"${f.queue}","actor_name":"${f.actor}","args":${f.args},"kwargs":{},` +
    `"options":${f.options},"message_id":"${messageId}","message_timestamp":${Date.now()}}`;
  return { bytes: Buffer.from(text, "ascii"), messageId };
}

/** Records the bytes of every delivery parked on a delay queue. */
class DelayedBytes extends Middleware {
  readonly raw: string[] = [];
  override beforeDelayMessage(_broker: Broker, message: MessageProxy): void {
    this.raw.push(message.raw!.toString("ascii"));
  }
}

test("a Python message's NaN, Infinity and -Infinity survive a delay move, a retry and the dead letter as Python's tokens", async () => {
  const broker = newBroker();
  const delayed = new DelayedBytes();
  broker.addMiddleware(delayed);
  const seen: { args: unknown[]; timeLimit: unknown; raw: string }[] = [];
  actor(function odd(...args: number[]) {
    const m = CurrentMessage.getCurrentMessage()!;
    seen.push({ args, timeLimit: m.options.time_limit, raw: m.raw!.toString("ascii") });
    throw new Error("again");
  }, { broker });
  await startWorker(broker);

  const options = `{"time_limit":Infinity,"max_retries":1,"min_backoff":10,"max_backoff":20,"eta":${Date.now() + 50}}`;
  const { bytes, messageId } = pythonBytes({ queue: "default.DQ", actor: "odd", args: ARGS, options });
  broker.enqueueRaw("default.DQ", bytes);
  await broker.join("default", { timeout: 5000, failFast: false });

  // Attempt 1 after the delay move, attempt 2 after the retry's move; both saw the values.
  expect(seen.map((s) => [s.args, s.timeLimit])).toEqual([
    [[NaN, Infinity, -Infinity], Infinity],
    [[NaN, Infinity, -Infinity], Infinity],
  ]);
  // The Python bytes, then the retry as @q wrote it onto the delay queue.
  expect(delayed.raw).toHaveLength(2);
  expect(delayed.raw[0]).toBe(bytes.toString("ascii"));
  const written = [seen[0]!.raw, delayed.raw[1]!, seen[1]!.raw, broker.deadLetters[0]!.raw!.toString("ascii")];
  for (const text of written) {
    expect(text).toContain(`"args":${ARGS}`);
    expect(text).toContain('"time_limit":Infinity');
    expect(text).not.toContain("null");
  }
  expect(broker.deadLetters.map((m) => m.messageId)).toEqual([messageId]);
});

test("onFailure, onRetryExhausted and a pipeline's next step get the Python values, written as Python's tokens", async () => {
  const broker = newBroker();
  const got: { actor: string; args: unknown[]; raw: string }[] = [];
  const record = (name: string) =>
    actor(
      {
        [name](...args: unknown[]) {
          got.push({ actor: name, args, raw: CurrentMessage.getCurrentMessage()!.raw!.toString("ascii") });
        },
      }[name]!,
      { broker, actorName: name },
    );
  record("failed");
  record("exhausted");
  record("next_step");
  actor(function fails(..._args: number[]) {
    throw new Error("no");
  }, { broker, actorName: "fails" });
  actor(function succeeds(..._args: number[]) {
    return 1;
  }, { broker, actorName: "succeeds" });
  await startWorker(broker);

  const failing = pythonBytes({
    queue: "default",
    actor: "fails",
    args: ARGS,
    options: '{"time_limit":Infinity,"max_retries":0,"on_failure":"failed","on_retry_exhausted":"exhausted"}',
  });
  const piped = pythonBytes({
    queue: "default",
    actor: "succeeds",
    args: "[1]",
    options: `{"pipe_target":${pythonBytes({ queue: "default", actor: "next_step", args: ARGS, options: '{"time_limit":Infinity}' }).bytes}}`,
  });
  broker.enqueueRaw("default", failing.bytes);
  broker.enqueueRaw("default", piped.bytes);
  await broker.join("default", { timeout: 5000, failFast: false });

  const byActor = Object.fromEntries(got.map((g) => [g.actor, g]));
  expect(Object.keys(byActor).sort()).toEqual(["exhausted", "failed", "next_step"]);
  for (const name of ["failed", "exhausted"]) {
    const dict = byActor[name]!.args[0] as MessageData;
    expect(dict.message_id).toBe(failing.messageId);
    expect(dict.args).toEqual([NaN, Infinity, -Infinity]);
    expect(dict.options.time_limit).toBe(Infinity);
    expect(byActor[name]!.raw).toContain(`"args":[{"queue_name":"default","actor_name":"fails","args":${ARGS}`);
    expect(byActor[name]!.raw).toContain('"time_limit":Infinity');
  }
  expect(byActor.next_step!.args).toEqual([NaN, Infinity, -Infinity, 1]);
  expect(byActor.next_step!.raw).toContain('"args":[NaN,Infinity,-Infinity,1]');
  expect(byActor.next_step!.raw).toContain('"time_limit":Infinity');
});
