/**
 * The interop cases: each is written once against the harness and runs on every broker, in
 * both directions (Python producer → @q worker, @q producer → Python worker). To add one, add
 * an entry to {@link CASES}: the actors both workers declare, what the producer sends, and what
 * the worker must have seen.
 */
import { waitFor } from "@q/test-support";
import type { ActorSpec, BrokerKind, Interop, Lang, Received, RunningWorker, SendSpec, Sent } from "./interop";

export interface CaseContext {
  h: Interop;
  producer: Lang;
  worker: RunningWorker;
  sent: Sent[];
  /** Epoch ms just before the producer started. */
  sentAt: number;
  /** Waits until the worker has recorded `n` runs, then gives it `settleMs` to prove there is no extra one. */
  runs(n: number, options?: { timeout?: number; settleMs?: number }): Promise<Received[]>;
}

export interface Case {
  name: string;
  actors: ActorSpec[];
  send: SendSpec[];
  check(c: CaseContext): Promise<void>;
}

/** Runs one case: start the worker, send, check. */
export async function runCase(h: Interop, c: Case, producer: Lang, workerLang: Lang): Promise<void> {
  const worker = await h.worker(workerLang, c.actors);
  const sentAt = Date.now();
  const sent = await h.send(producer, c.send);
  await c.check({
    h,
    producer,
    worker,
    sent,
    sentAt,
    async runs(n, { timeout = 15_000, settleMs = 300 } = {}) {
      await waitFor(`${n} run(s) on the ${workerLang} worker`, () => worker.received().length >= n, { timeout });
      await new Promise((r) => setTimeout(r, settleMs));
      const all = worker.received();
      expect(all).toHaveLength(n);
      return all;
    },
  });
}

const UNICODE = "café 😀 ключ \u0000\u007f";

export const CASES: Case[] = [
  {
    name: "positional args, kwargs, message id, queue and actor name arrive exactly, in the bytes json.dumps writes",
    actors: [{ name: "greet" }],
    send: [{ actor: "greet", args: [UNICODE, 1.5, -3, { nested: [true, null, "é"] }, []], kwargs: { who: "élève", deep: { list: [1, "x", { k: null }] } } }],
    async check({ h, sent, runs }) {
      const [r] = await runs(1);
      const m = sent[0]!.message;
      expect(r).toMatchObject({
        actor_name: "greet",
        queue_name: h.queue,
        message_id: m.messageId,
        message_timestamp: m.messageTimestamp,
        args: [UNICODE, 1.5, -3, { nested: [true, null, "é"] }, []],
        kwargs: { who: "élève", deep: { list: [1, "x", { k: null }] } },
        attempt: 1,
      });
      expect(m.messageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      // The other language's encoder writes exactly the producer's bytes for the message it got.
      expect(r!.bytes).toBe(sent[0]!.bytes);
      expect([...Buffer.from(sent[0]!.bytes, "latin1")].every((b) => b < 0x80)).toBe(true);
    },
  },
  {
    name: "a delayed message runs no earlier than its eta, within 5 s after it, on the canonical queue",
    actors: [{ name: "later" }],
    send: [{ actor: "later", args: [7], delay: 1500 }],
    async check({ h, sent, sentAt, runs }) {
      const m = sent[0]!.message;
      expect(m.queueName).toBe(`${h.queue}.DQ`);
      const eta = m.options.eta as number;
      expect(eta).toBeGreaterThanOrEqual(sentAt + 1500);
      const [r] = await runs(1, { timeout: 20_000 });
      expect(r).toMatchObject({ actor_name: "later", queue_name: h.queue, message_id: m.messageId, args: [7] });
      expect(r!.at).toBeGreaterThanOrEqual(eta);
      expect(r!.at).toBeLessThanOrEqual(eta + 5000);
    },
  },
  {
    name: "a failing message is retried with backoff and then succeeds: 3 runs, retries 0, 1, 2, no dead letter",
    actors: [{ name: "flaky", fail: 2, options: { max_retries: 5, min_backoff: 100, max_backoff: 1000 } }],
    send: [{ actor: "flaky", args: ["r"] }],
    async check({ h, sent, runs }) {
      const rs = await runs(3, { timeout: 20_000, settleMs: 1000 });
      expect(rs.map((r) => r.message_id)).toEqual(Array(3).fill(sent[0]!.message_id));
      expect(rs.map((r) => r.options.retries)).toEqual([undefined, 1, 2]);
      expect(rs.map((r) => r.queue_name)).toEqual(Array(3).fill(h.queue));
      // Backoff: each retry waits at least min_backoff (100 ms) after the failed run.
      expect(rs[1]!.at - rs[0]!.at).toBeGreaterThanOrEqual(100);
      expect(rs[2]!.at - rs[1]!.at).toBeGreaterThanOrEqual(100);
      expect(String(rs[1]!.options.traceback)).toContain("flaky fails on purpose (attempt 1)");
      expect(await h.deadLetters()).toEqual([]);
    },
  },
  {
    name: "retries exhausted: max_retries 2 gives 3 runs, then one dead letter in <queue>.XQ with retries 2",
    actors: [{ name: "doomed", fail: -1, options: { max_retries: 2, min_backoff: 50, max_backoff: 200 } }],
    send: [{ actor: "doomed", args: [1], kwargs: { k: "v" } }],
    async check({ h, sent, runs }) {
      await runs(3, { timeout: 20_000 });
      const dead = await waitFor("the dead letter", async () => {
        const d = await h.deadLetters();
        return d.length ? d : undefined;
      });
      expect(dead).toHaveLength(1);
      const m = dead[0]!.message;
      expect(m).toMatchObject({ messageId: sent[0]!.message_id, actorName: "doomed", queueName: h.queue, args: [1], kwargs: { k: "v" } });
      expect(m.options.retries).toBe(2);
      expect(String(m.options.traceback)).toContain("doomed fails on purpose (attempt 2)");
    },
  },
];

export function caseTitle(kind: BrokerKind, producer: Lang, worker: Lang, name: string): string {
  const who = (l: Lang) => (l === "python" ? "Python" : "@q");
  return `${kind}: ${who(producer)} producer → ${who(worker)} worker: ${name}`;
}
