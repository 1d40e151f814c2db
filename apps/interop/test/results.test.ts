/**
 * Results shared with Python Dramatiq, on Redis and on memcached, with hashed keys and with
 * Dramatiq 2.2's prefix keys: what Python's result backends store, @q reads (values and
 * failures, at once and while blocked), and the reverse; and results stored by a worker of
 * one language are read by a producer of the other.
 */
import { Message, ResultFailure, ResultMissing, ResultTimeout } from "@q/core";
import { uuid4 } from "@q/core/broker";
import { MEMCACHED_SERVERS, requireMemcached } from "@q/test-support/memcached";
import { REDIS_URL } from "@q/test-support/redis";
import { BROKERS, type ResultsSpec, qResultBackend, useInterop } from "./interop";
import { requirePython, runPython } from "./python";

interface ReadLine {
  message_id: string;
  result?: unknown;
  failure?: { type: string; msg: string; text: string };
  missing?: true;
  timeout?: true;
}

const VALUES: readonly unknown[] = [42, null, [3, [2]], { word: "übung", n: 1.5 }, "text", true];

const STORES: readonly { name: string; spec: (namespace: string, prefix: boolean) => ResultsSpec }[] = [
  { name: "Redis", spec: (namespace, prefix_keys) => ({ backend: "redis", url: REDIS_URL, namespace, prefix_keys }) },
  { name: "memcached", spec: (namespace, prefix_keys) => ({ backend: "memcached", servers: MEMCACHED_SERVERS, namespace, prefix_keys }) },
];

function key(queue_name: string, actor_name: string) {
  return { queue_name, actor_name, message_id: uuid4() };
}

/** A message with only the parts a result is keyed by, for @q's backend. */
function asMessage(k: { queue_name: string; actor_name: string; message_id: string }): Message {
  return new Message({ queueName: k.queue_name, actorName: k.actor_name, messageId: k.message_id, args: [] });
}

describe.each(STORES)("results shared with Python's $name backend", ({ spec: makeSpec }) => {
  beforeAll(async () => {
    requirePython();
    await requireMemcached();
  });

  describe.each([false, true])("prefix keys %s", (prefix) => {
    const namespace = `qinterop-results-${Math.random().toString(16).slice(2, 8)}`;
    const spec = makeSpec(namespace, prefix);

    test("what Python stores, @q reads: every value as json.dumps wrote it, and a failure as ResultFailure with its type and message", async () => {
      const keys = VALUES.map(() => key("default", "compute"));
      const failed = key("default.DQ", "compute"); // the key drops the .DQ suffix, in both languages
      await runPython("results", {
        ...spec,
        store: [...VALUES.map((value, i) => ({ message: keys[i], value })), { message: failed, exception: { type: "ValueError", msg: "bad input 7" } }],
      });
      const backend = await qResultBackend(spec);
      try {
        for (const [i, k] of keys.entries()) expect(await backend.getResult(asMessage(k))).toEqual(VALUES[i]);
        const error = await backend.getResult(asMessage({ ...failed, queue_name: "default" })).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ResultFailure);
        expect((error as ResultFailure).origExcType).toBe("ValueError");
        expect((error as ResultFailure).origExcMsg).toBe("bad input 7");
        expect((error as ResultFailure).message).toBe("actor raised ValueError: bad input 7");
        await expect(backend.getResult(asMessage(key("default", "compute")))).rejects.toBeInstanceOf(ResultMissing);
      } finally {
        await backend.close();
      }
    }, 30_000);

    test("what @q stores, Python reads: values, a failure, and a missing result", async () => {
      const keys = VALUES.map(() => key("default", "compute"));
      const failed = key("default", "compute");
      const backend = await qResultBackend(spec);
      try {
        for (const [i, k] of keys.entries()) await backend.storeResult(asMessage(k), VALUES[i], 60_000);
        await backend.storeException(asMessage(failed), new RangeError("out of range: 9"), 60_000);
      } finally {
        await backend.close();
      }
      const missing = key("default", "compute");
      const lines = await runPython<ReadLine>("results", { ...spec, read: [...keys, failed, missing].map((message) => ({ message })) });
      expect(lines.slice(0, VALUES.length).map((l) => l.result)).toEqual(VALUES);
      expect(lines[VALUES.length]).toEqual({ message_id: failed.message_id, failure: { type: "RangeError", msg: "out of range: 9", text: "actor raised RangeError: out of range: 9" } });
      expect(lines[VALUES.length + 1]).toEqual({ message_id: missing.message_id, missing: true });
    }, 30_000);

    test("a blocked @q getResult returns when Python stores, and a blocked Python get_result when @q stores", async () => {
      const backend = await qResultBackend(spec);
      try {
        const mine = key("default", "slow");
        const waiting = backend.getResult(asMessage(mine), { block: true, timeout: 10_000 });
        await new Promise((r) => setTimeout(r, 200));
        await runPython("results", { ...spec, store: [{ message: mine, value: "from python" }] });
        expect(await waiting).toBe("from python");

        const theirs = key("default", "slow");
        const python = runPython<ReadLine>("results", { ...spec, read: [{ message: theirs, block: true, timeout: 10_000 }] });
        // Python needs a moment to start and block; a store before it blocks is read at once, also correct.
        await new Promise((r) => setTimeout(r, 1_000));
        await backend.storeResult(asMessage(theirs), { from: "q" }, 60_000);
        expect(await python).toEqual([{ message_id: theirs.message_id, result: { from: "q" } }]);
        await expect(backend.getResult(asMessage(key("default", "slow")), { block: true, timeout: 300 })).rejects.toBeInstanceOf(ResultTimeout);
      } finally {
        await backend.close();
      }
    }, 30_000);
  });
});

describe.each(BROKERS)("results stored by the worker of one language, read by the producer of the other, on %s", (kind) => {
  const h = useInterop(kind);
  const actors = [
    { name: "compute", returns: { sum: 6, items: ["a", "ü"] }, options: { store_results: true } },
    { name: "broken", fail: -1, options: { store_results: true, max_retries: 0 } },
  ];

  test.each(STORES)("a Python worker stores on $name, @q's message.getResult reads it", async ({ spec: makeSpec }) => {
    const spec = makeSpec("dramatiq-results", false);
    await h().worker("python", actors, { results: spec });
    const [ok, bad] = await h().send("q", [{ actor: "compute" }, { actor: "broken" }]);
    const backend = await qResultBackend(spec);
    try {
      expect(await ok!.message.getResult({ backend, block: true, timeout: 10_000 })).toEqual({ sum: 6, items: ["a", "ü"] });
      const error = await bad!.message.getResult({ backend, block: true, timeout: 10_000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ResultFailure);
      expect((error as ResultFailure).origExcType).toBe("RuntimeError");
      expect((error as ResultFailure).origExcMsg).toBe("broken fails on purpose (attempt 1)");
    } finally {
      await backend.close();
    }
  }, 30_000);

  test.each(STORES)("an @q worker stores on $name, Python's get_result reads it", async ({ spec: makeSpec }) => {
    const spec = makeSpec("dramatiq-results", false);
    await h().worker("q", actors, { results: spec });
    const [ok, bad] = await h().send("python", [{ actor: "compute" }, { actor: "broken" }]);
    const read = (s: { message_id: string; queue_name: string; actor_name: string }) => ({ message: s, block: true, timeout: 10_000 });
    const lines = await runPython<ReadLine>("results", { ...spec, read: [read(ok!), read(bad!)] });
    expect(lines[0]).toEqual({ message_id: ok!.message_id, result: { sum: 6, items: ["a", "ü"] } });
    expect(lines[1]).toEqual({ message_id: bad!.message_id, failure: { type: "Error", msg: "broken fails on purpose (attempt 1)", text: "actor raised Error: broken fails on purpose (attempt 1)" } });
  }, 30_000);
});
