/**
 * Option values of the wrong type in received messages (written raw, as another producer
 * would): a warning names the message, the option and the value, and the documented
 * fallback applies (docs/middleware.md). The Redis tests cover the Retries, TimeLimit,
 * AgeLimit, Callbacks and eta cases on a real server; these cover the rest.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { randomUUID } from "node:crypto";
import { CurrentMessage, GroupCallbacks, Message, actor } from "@q/core";
import { MemoryRateLimiterBackend } from "@q/core/testing";
import { EnqueueRecorder, capturingBroker, deferred, startWorker, stopStartedWorkers } from "./harness";

afterEach(stopStartedWorkers);

const WARN = 40;

/** Message bytes as another producer writes them; `options` is JSON text. */
function raw(actorName: string, options: string, args = "[]"): { bytes: Buffer; id: string } {
  const id = randomUUID();
  const text = `{"queue_name":"default","actor_name":"${actorName}","args":${args},"kwargs":{},"options":${options},"message_id":"${id}","message_timestamp":${Date.now()}}`;
  return { bytes: Buffer.from(text), id };
}

test('a pipeline step with pipe_ignore "true" and delay "soon": the receiver\'s pipeIgnore (false) applies and the step is sent now, with warnings', async () => {
  const { broker, find } = capturingBroker();
  const recorder = new EnqueueRecorder();
  broker.addMiddleware(recorder);
  const got: unknown[][] = [];
  actor(function first() {
    return 42;
  }, { broker });
  actor(function second(...args: unknown[]) {
    got.push(args);
  }, { broker });
  await startWorker(broker);

  const next = new Message({ queueName: "default", actorName: "second", args: [1], options: { pipe_ignore: "true", delay: "soon" } });
  const { bytes, id } = raw("first", `{"pipe_target":${JSON.stringify(next.toDict())}}`);
  broker.enqueueRaw("default", bytes);
  await broker.join("default", { timeout: 5000 });

  expect(got).toEqual([[1, 42]]);
  expect(recorder.enqueued.map((e) => [e.message.actorName, e.delay])).toEqual([["second", undefined]]);
  expect(find(WARN, "has an invalid").map((l) => l.msg)).toEqual([
    `Message ${id} has an invalid pipe_target.options.pipe_ignore option "true" (expected true, false or null; using the receiving actor's pipeIgnore).`,
    `Message ${id} has an invalid pipe_target.options.delay option "soon" (expected a non-negative number of milliseconds; sending the next step now).`,
  ]);
});

test('notify_shutdown "yes": the actor\'s notifyShutdown (the default, false) applies, with a warning', async () => {
  const { broker, find } = capturingBroker();
  const started = deferred();
  const aborted: boolean[] = [];
  actor(async function longJob() {
    const { signal } = CurrentMessage.getCurrentMessage()!;
    started.resolve();
    await sleep(300);
    aborted.push(signal.aborted);
  }, { broker });
  const worker = await startWorker(broker);

  const { bytes, id } = raw("longJob", '{"notify_shutdown":"yes"}');
  broker.enqueueRaw("default", bytes);
  await started.promise;
  await worker.stop({ timeout: 5000 });

  expect(aborted).toEqual([false]);
  expect(find(WARN, "has an invalid").map((l) => l.msg)).toEqual([
    `Message ${id} has an invalid notify_shutdown option "yes" (expected true, false or null; using the default (false) instead).`,
  ]);
});

test("group completion options of the wrong type send nothing, and a callback that is not a message is left out; each with a warning", async () => {
  const { broker, find } = capturingBroker();
  broker.addMiddleware(new GroupCallbacks(new MemoryRateLimiterBackend()));
  const done: string[] = [];
  actor(function member() {}, { broker });
  actor(function whenDone(tag: string) {
    done.push(tag);
  }, { broker });
  await startWorker(broker, { concurrency: 1 });

  const callback = JSON.stringify(new Message({ queueName: "default", actorName: "whenDone", args: ["sent"] }).toDict());
  const badUuid = raw("member", `{"group_completion_uuid":5,"group_completion_callbacks":[${callback}]}`);
  const badList = raw("member", `{"group_completion_uuid":"${randomUUID()}","group_completion_callbacks":"all"}`);
  const oneBad = raw("member", `{"group_completion_uuid":"${randomUUID()}","group_completion_callbacks":[${callback},"not a message"]}`);
  for (const m of [badUuid, badList, oneBad]) broker.enqueueRaw("default", m.bytes);
  await broker.join("default", { timeout: 5000 });

  expect(done).toEqual(["sent"]);
  expect(find(WARN, "has an invalid").map((l) => l.msg)).toEqual([
    `Message ${badUuid.id} has an invalid group_completion_uuid option 5 (expected a string; the group's completion callbacks are not sent).`,
    `Message ${badList.id} has an invalid group_completion_callbacks option "all" (expected a list of messages; no completion callbacks are sent).`,
    `Message ${oneBad.id} has an invalid group_completion_callbacks[1] option "not a message" (a message must be a JSON object; that callback is not sent).`,
  ]);
});
