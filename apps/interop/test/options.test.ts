/**
 * Option keys a Python sender sets, honoured by @q workers (Python producer → @q worker), on
 * both brokers: max_retries, time_limit, pipe_target, on_failure, and on Redis redis_message_id.
 */
import Redis from "ioredis";
import { waitFor } from "@q/test-support";
import { REDIS_URL } from "@q/test-support/redis";
import { BROKERS, type DeadLetter, type Interop, type Received, type RunningWorker, useInterop } from "./interop";

jest.setTimeout(60_000);

async function oneDeadLetter(h: Interop): Promise<DeadLetter> {
  const dead = await waitFor("the dead letter", async () => {
    const d = await h.deadLetters();
    return d.length ? d : undefined;
  }, { timeout: 15_000 });
  expect(dead).toHaveLength(1);
  return dead[0]!;
}

function runsOf(worker: RunningWorker, actorName: string): Received[] {
  return worker.received().filter((r) => r.actor_name === actorName);
}

describe.each(BROKERS)("%s: Python producer → @q worker", (kind) => {
  const h = useInterop(kind);

  it("max_retries 1 on the message overrides the actor's default of 20: 2 runs, dead letter with retries 1", async () => {
    const worker = await h().worker("q", [{ name: "doomed", fail: -1, options: { min_backoff: 10, max_backoff: 20 } }]);
    const [sent] = await h().send("python", [{ actor: "doomed", args: [], options: { max_retries: 1 } }]);
    const dead = await oneDeadLetter(h());
    expect(dead.message.messageId).toBe(sent!.message_id);
    expect(dead.message.options.retries).toBe(1);
    expect(worker.received()).toHaveLength(2);
  });

  it("time_limit 300 on the message fails each 5 s run after about 300 ms, with TimeLimitExceeded", async () => {
    const worker = await h().worker("q", [{ name: "slow", sleepMs: 5000, options: { min_backoff: 10, max_backoff: 20 } }]);
    await h().send("python", [{ actor: "slow", args: [], options: { time_limit: 300, max_retries: 1 } }]);
    const dead = await oneDeadLetter(h());
    const [first, second] = worker.received();
    expect(worker.received()).toHaveLength(2);
    // The retry's traceback is the first run's failure; the second was cut short too.
    expect(String(second!.options.traceback)).toContain("TimeLimitExceeded");
    expect(dead.message.options.retries).toBe(1);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(300);
    // Both dead-lettered long before the 5 s one body would take.
    expect(Date.now() - first!.at).toBeLessThan(4500);
  });

  it("pipe_target from dramatiq.pipeline: the next step runs with the first step's result appended", async () => {
    const worker = await h().worker("q", [{ name: "first", returns: 42 }, { name: "second" }]);
    const [sent] = await h().send("python", [{ actor: "first", args: [1], pipe_to: { actor: "second", args: ["a"] } }]);
    const target = sent!.message.options.pipe_target as Record<string, unknown>;
    expect(target).toMatchObject({ actor_name: "second", queue_name: h().queue, args: ["a"] });
    await waitFor("the second step", () => runsOf(worker, "second").length === 1);
    expect(runsOf(worker, "first")).toHaveLength(1);
    expect(runsOf(worker, "second")[0]).toMatchObject({ message_id: target.message_id, args: ["a", 42] });
  });

  it("on_failure names an actor that gets the failed message's dict and the error's type and text", async () => {
    const worker = await h().worker("q", [{ name: "boom", fail: -1 }, { name: "on_fail" }]);
    const [sent] = await h().send("python", [{ actor: "boom", args: [3], options: { on_failure: "on_fail", max_retries: 0 } }]);
    await waitFor("the on_failure callback", () => runsOf(worker, "on_fail").length === 1);
    const [callback] = runsOf(worker, "on_fail");
    expect(callback!.args).toHaveLength(2);
    expect(callback!.args[0]).toMatchObject({ message_id: sent!.message_id, actor_name: "boom", args: [3] });
    expect(callback!.args[1]).toEqual({ type: "Error", message: "boom fails on purpose (attempt 1)" });
  });

  if (kind === "redis") {
    it("redis_message_id the Python broker set is the key @q acknowledges: payload and ack gone after the run", async () => {
      const redis = new Redis(REDIS_URL);
      h().defer(() => redis.quit());
      const worker = await h().worker("q", [{ name: "plain" }]);
      const [sent] = await h().send("python", [{ actor: "plain", args: [] }]);
      const rid = sent!.message.options.redis_message_id as string;
      expect(rid).toMatch(/^[0-9a-f-]{36}$/);
      expect(rid).not.toBe(sent!.message_id);
      await waitFor("the run", () => worker.received().length === 1);
      expect(worker.received()[0]!.options.redis_message_id).toBe(rid);
      await waitFor("the payload to go", async () => (await redis.hexists(`${h().namespace}:${h().queue}.msgs`, rid)) === 0);
      const acks = await redis.keys(`${h().namespace}:__acks__.*`);
      for (const key of acks) expect(await redis.sismember(key, rid)).toBe(0);
    });
  }
});
