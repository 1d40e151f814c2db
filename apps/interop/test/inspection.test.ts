/**
 * Queue inspection on queues that real Python Dramatiq workers use, on both brokers: dead
 * letters Python's Retries gave up on are counted and listed by @q's inspector with Python's
 * traceback, and requeued ones are run again by a Python worker, each exactly once, with
 * retries back to 0.
 */
import { waitFor } from "@q/test-support";
import { BROKERS, useInterop } from "./interop";

jest.setTimeout(90_000);

describe.each(BROKERS)("%s", (kind) => {
  const h = useInterop(kind);

  it("lists Python's dead letters with their traceback and requeues them to a Python worker, which runs each once", async () => {
    const failing = await h().worker("python", [{ name: "charge", fail: -1, options: { max_retries: 1, min_backoff: 10, max_backoff: 20 } }]);
    const sent = await h().send("python", [1, 2, 3].map((n) => ({ actor: "charge", args: [n] })));
    await waitFor("Python to dead-letter all three", async () => (await h().deadLetters()).length === 3, { timeout: 30_000 });
    await failing.stop();

    const broker = await h().qBroker();
    const inspector = broker.inspect!();
    const [summary] = await inspector.listQueues({ include: [h().queue] });
    expect(summary).toMatchObject({ name: h().queue, deadLetters: 3 });
    const page = await inspector.listMessages(h().queue, "dead");
    expect(page.messages.map((m) => m.messageId).sort()).toEqual(sent.map((s) => s.message_id).sort());
    for (const m of page.messages) {
      expect(m.message?.actorName).toBe("charge");
      expect(m.retries).toBe(1);
      // Python's Retries kept the first attempt's traceback in the message.
      expect(m.lastError).toMatch(/^Traceback \(most recent call last\):[\s\S]*RuntimeError: charge fails on purpose \(attempt 1\)\s*$/);
    }

    const fixed = await h().worker("python", [{ name: "charge" }]);
    expect(await inspector.requeueAll(h().queue)).toBe(3);
    await waitFor("the Python worker to run all three", () => fixed.received().length >= 3, { timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 500)); // room for a duplicate to show, if there were one
    const runs = fixed.received();
    expect(runs.map((r) => r.message_id).sort()).toEqual(sent.map((s) => s.message_id).sort());
    for (const r of runs) expect(r.options.retries).toBe(0);
    expect((await inspector.listQueues({ include: [h().queue] }))[0]).toMatchObject({ deadLetters: 0 });
  });
});
