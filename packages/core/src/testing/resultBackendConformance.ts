import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { ArgumentError } from "../errors/ArgumentError";
import { ConnectionClosed } from "../errors/ConnectionClosed";
import { ResultFailure } from "../errors/ResultFailure";
import { ResultMissing } from "../errors/ResultMissing";
import { ResultTimeout } from "../errors/ResultTimeout";
import type { ResultBackend, ResultBackendOptions, ResultKeyParts } from "../results/ResultBackend";
import type { TestFramework } from "./conformance";
import { registerBackendKit } from "./registerBackendKit";

/**
 * The cases of {@link runResultBackendConformance}, by id (for `skip`).
 *
 * @example
 * const skip: ResultBackendCase[] = ["close-pending"];
 */
export type ResultBackendCase =
  | "round-trip"
  | "missing"
  | "exception"
  | "block-stored"
  | "block-wakes"
  | "block-timeout"
  | "block-race"
  | "many-waiters"
  | "many-keys"
  | "expiry"
  | "overwrite"
  | "queue-suffix"
  | "namespace"
  | "prefix-keys"
  | "close"
  | "close-pending";

/**
 * How to run the result backend kit against one backend.
 *
 * @example
 * const options: ResultBackendConformanceOptions<RedisResultBackend> = {
 *   name: "RedisResultBackend",
 *   makeBackend: (o) => new RedisResultBackend({ ...o, url: process.env.REDIS_URL }),
 *   destroyBackend: (backend) => backend.close(),
 * };
 */
export interface ResultBackendConformanceOptions<B extends ResultBackend = ResultBackend> {
  /** Shown in the `describe` title. */
  name: string;
  /**
   * A backend with these options (namespace, prefix-key mode) for one test. Called several
   * times per test where the kit needs independent clients; those must share one store.
   */
  makeBackend(options: ResultBackendOptions): B | Promise<B>;
  /** Disposes of a backend after its test (close its connections); default: nothing. */
  destroyBackend?(backend: B): void | Promise<void>;
  /**
   * The granularity of the backend's expiries in ms; default 1. Memcached keeps TTLs in
   * whole seconds (1000): the expiry case then scales its TTL and waits to it.
   */
  ttlResolution?: number;
  /** Per-test timeout in ms; default 20000. */
  testTimeout?: number;
  /** Cases not to run (registered as skipped when the framework has `it.skip`). */
  skip?: readonly ResultBackendCase[];
  /** Test functions to use instead of the globals (e.g. from `node:test`). */
  framework?: Partial<TestFramework>;
}

/** Per-test state handed to each case. */
interface Ctx {
  /** The test's first backend, in the default namespace and key mode. */
  readonly backend: ResultBackend;
  /** A further backend on the same store (an independent client), with these options. */
  make(options?: ResultBackendOptions): Promise<ResultBackend>;
  /** A message no other test uses. */
  message(actorName?: string, queueName?: string): ResultKeyParts;
  /** The TTL of the expiry case (ms): 300, or the backend's TTL resolution if coarser. */
  readonly unit: number;
}

interface CaseDef {
  id: ResultBackendCase;
  title: string;
  run(c: Ctx): Promise<void>;
}

/** How long a blocking read may take to return after the store, in ms: generous, for a busy CI machine. */
const PROMPT = 1_500;
/** A TTL no test outlives. */
const LONG_TTL = 60_000;

/** Runs `promise`, giving its outcome and how long it took (ms). */
async function timed<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown; elapsed: number }> {
  const started = performance.now();
  try {
    const value = await promise;
    return { value, elapsed: performance.now() - started };
  } catch (error) {
    return { error, elapsed: performance.now() - started };
  }
}

const VALUES: readonly unknown[] = [
  0,
  -1.5,
  Number.MAX_SAFE_INTEGER,
  null,
  true,
  "",
  "héllo wörld ✓ 🎉 日本",
  [],
  [1, "two", [3, { four: 4 }]],
  { a: { b: { c: [null, false, 1e-9] } }, "ключ": "значение" },
];

const CASES: readonly CaseDef[] = [
  {
    id: "round-trip",
    title: "a stored JSON value reads back equal, blocking or not (numbers, null, strings with unicode, nested)",
    async run({ backend, message }) {
      for (const value of VALUES) {
        const m = message();
        await backend.storeResult(m, value, LONG_TTL);
        assert.deepEqual(await backend.getResult(m), value);
        assert.deepEqual(await backend.getResult(m, { block: true, timeout: 1_000 }), value);
      }
      const m = message();
      await backend.storeResult(m, undefined, LONG_TTL);
      assert.equal(await backend.getResult(m), null, "undefined is stored as null, as JSON has no undefined");
    },
  },
  {
    id: "missing",
    title: "no stored result: ResultMissing without block, ResultTimeout blocking with timeout 0; a bad timeout is an ArgumentError",
    async run({ backend, message }) {
      const m = message();
      await assert.rejects(backend.getResult(m), (e) => e instanceof ResultMissing && !(e instanceof ResultTimeout));
      await assert.rejects(backend.getResult(m, { block: true, timeout: 0 }), ResultTimeout);
      await assert.rejects(backend.getResult(m, { block: true, timeout: -1 }), ArgumentError);
    },
  },
  {
    id: "exception",
    title: "a stored exception reads as ResultFailure with the remote type and message, blocking or not",
    async run({ backend, message }) {
      const m = message();
      await backend.storeException(m, new TypeError("bad input ✗"), LONG_TTL);
      for (const options of [{}, { block: true, timeout: 1_000 }]) {
        await assert.rejects(backend.getResult(m, options), (e) => {
          assert.ok(e instanceof ResultFailure);
          assert.equal(e.origExcType, "TypeError");
          assert.equal(e.origExcMsg, "bad input ✗");
          return true;
        });
      }
    },
  },
  {
    id: "block-stored",
    title: "a blocking read of a result already stored returns it at once",
    async run({ backend, message }) {
      const m = message();
      await backend.storeResult(m, "ready", LONG_TTL);
      const { value, elapsed } = await timed(backend.getResult(m, { block: true, timeout: 5_000 }));
      assert.equal(value, "ready");
      assert.ok(elapsed < PROMPT, `took ${elapsed} ms`);
    },
  },
  {
    id: "block-wakes",
    title: "a blocking read waits for a store that happens later and returns promptly after it",
    async run({ backend, make, message }) {
      const writer = await make();
      const m = message();
      const reading = timed(backend.getResult(m, { block: true, timeout: 8_000 }));
      await sleep(250);
      await writer.storeResult(m, { late: true }, LONG_TTL);
      const { value, error, elapsed } = await reading;
      assert.equal(error, undefined);
      assert.deepEqual(value, { late: true });
      assert.ok(elapsed >= 240, `returned after ${elapsed} ms, before the store`);
      assert.ok(elapsed < 250 + PROMPT, `returned ${elapsed - 250} ms after the store`);
    },
  },
  {
    id: "block-timeout",
    title: "a sub-second timeout (300 ms) ends in ResultTimeout no earlier than it and well before a second",
    async run({ backend, message }) {
      const { error, elapsed } = await timed(backend.getResult(message(), { block: true, timeout: 300 }));
      assert.ok(error instanceof ResultTimeout, `expected ResultTimeout, got ${String(error)}`);
      assert.ok(elapsed >= 295, `timed out after ${elapsed} ms`);
      assert.ok(elapsed < 900, `timed out after ${elapsed} ms`);
    },
  },
  {
    id: "block-race",
    title: "a store racing the start of a blocking read is seen (10 rounds, none times out)",
    async run({ backend, make, message }) {
      const writer = await make();
      for (let round = 0; round < 10; round++) {
        const m = message();
        // Started together: the store may land before, during or after the read registers.
        const [got] = await Promise.all([backend.getResult(m, { block: true, timeout: 3_000 }), writer.storeResult(m, round, LONG_TTL)]);
        assert.equal(got, round);
      }
    },
  },
  {
    id: "many-waiters",
    title: "several concurrent waiters on one key, over two clients, all get the value, and it stays readable",
    async run({ backend, make, message }) {
      const other = await make();
      const m = message();
      const readers = [backend, other, backend, other, backend, other];
      const waits = readers.map((r) => r.getResult(m, { block: true, timeout: 8_000 }));
      await sleep(100);
      await backend.storeResult(m, "shared", LONG_TTL);
      assert.deepEqual(await Promise.all(waits), ["shared", "shared", "shared", "shared", "shared", "shared"]);
      assert.equal(await backend.getResult(m), "shared");
      assert.equal(await other.getResult(m, { block: true, timeout: 1_000 }), "shared");
    },
  },
  {
    id: "many-keys",
    title: "waiters on different keys each get their own value, whatever the order of the stores",
    async run({ backend, make, message }) {
      const writer = await make();
      const ms = Array.from({ length: 5 }, () => message());
      const waits = ms.map((m) => backend.getResult(m, { block: true, timeout: 8_000 }));
      await sleep(50);
      for (let i = ms.length - 1; i >= 0; i--) await writer.storeResult(ms[i]!, `value-${i}`, LONG_TTL);
      assert.deepEqual(await Promise.all(waits), ["value-0", "value-1", "value-2", "value-3", "value-4"]);
    },
  },
  {
    id: "expiry",
    title: "a result is gone after its TTL (ResultMissing), while one with a long TTL stays",
    async run({ backend, message, unit }) {
      const short = message();
      const long = message();
      await backend.storeResult(short, "brief", unit);
      await backend.storeResult(long, "lasting", LONG_TTL);
      assert.equal(await backend.getResult(short), "brief");
      await sleep(2 * unit + 300);
      await assert.rejects(backend.getResult(short), ResultMissing);
      assert.equal(await backend.getResult(long), "lasting");
    },
  },
  {
    id: "overwrite",
    title: "storing again replaces the result: value by value, value by exception, exception by value",
    async run({ backend, message }) {
      const m = message();
      await backend.storeResult(m, 1, LONG_TTL);
      await backend.storeResult(m, 2, LONG_TTL);
      assert.equal(await backend.getResult(m), 2);
      assert.equal(await backend.getResult(m, { block: true, timeout: 1_000 }), 2);
      await backend.storeException(m, new RangeError("late failure"), LONG_TTL);
      await assert.rejects(backend.getResult(m), ResultFailure);
      await backend.storeResult(m, [3], LONG_TTL);
      assert.deepEqual(await backend.getResult(m), [3]);
    },
  },
  {
    id: "queue-suffix",
    title: "a message on a delay (.DQ) or dead-letter (.XQ) queue names the same result as on its queue",
    async run({ backend, message }) {
      const m = message("add", "default");
      await backend.storeResult({ ...m, queueName: "default.DQ" }, "delayed", LONG_TTL);
      assert.equal(await backend.getResult(m), "delayed");
      assert.equal(await backend.getResult({ ...m, queueName: "default.XQ" }), "delayed");
    },
  },
  {
    id: "namespace",
    title: "backends in different namespaces do not see each other's results",
    async run({ backend, make, message }) {
      const other = await make({ namespace: `q-rb-other-${randomBytes(4).toString("hex")}` });
      const m = message();
      await backend.storeResult(m, "default namespace", LONG_TTL);
      await assert.rejects(other.getResult(m), ResultMissing);
      await other.storeResult(m, "other namespace", LONG_TTL);
      assert.equal(await backend.getResult(m), "default namespace");
      assert.equal(await other.getResult(m), "other namespace");
      const same = await make({});
      assert.equal(await same.getResult(m), "default namespace", "a second client of the default namespace reads its results");
    },
  },
  {
    id: "prefix-keys",
    title: "prefix-key mode stores under namespace:queue:actor:id, apart from the MD5 keys of the same message",
    async run({ backend, make, message }) {
      const prefixed = await make({ useNamespacePrefixKeys: true });
      const m = message("add", "default");
      assert.equal(prefixed.buildMessageKey(m), `dramatiq-results:default:add:${m.messageId}`);
      assert.match(backend.buildMessageKey(m), /^[0-9a-f]{32}$/);
      await backend.storeResult(m, "md5 key", LONG_TTL);
      await assert.rejects(prefixed.getResult(m), ResultMissing);
      await prefixed.storeResult(m, "prefix key", LONG_TTL);
      assert.equal(await prefixed.getResult(m, { block: true, timeout: 1_000 }), "prefix key");
      assert.equal(await backend.getResult(m), "md5 key");
    },
  },
  {
    id: "close",
    title: "close() resolves, and a second close() resolves too",
    async run({ make, message }) {
      const backend = await make();
      await backend.storeResult(message(), 1, LONG_TTL);
      await backend.close();
      await backend.close();
    },
  },
  {
    id: "close-pending",
    title: "close() ends a pending blocking read promptly with ConnectionClosed",
    async run({ make, message }) {
      const backend = await make();
      const reading = timed(backend.getResult(message(), { block: true, timeout: 10_000 }));
      await sleep(100);
      await backend.close();
      const { error, elapsed } = await reading;
      assert.ok(error instanceof ConnectionClosed, `expected ConnectionClosed, got ${String(error)}`);
      assert.ok(elapsed < 100 + PROMPT, `ended ${elapsed} ms after it started`);
    },
  },
];

/**
 * Registers the result backend conformance suite: one `describe` with an `it` per
 * behaviour every {@link ResultBackend} must have: JSON round trips, missing results,
 * stored exceptions, blocking reads (already stored, woken by a later store, a
 * sub-second timeout, a store racing the start of the wait, many waiters on one key or
 * on several), expiry, overwrites, Dramatiq's keys (queue suffixes, namespaces, prefix-key
 * mode) and `close()`. Messages are unique per test, so it is safe on a shared server.
 * Uses the global `describe`/`it`/`beforeEach`/`afterEach` (jest, vitest with globals,
 * mocha) and `node:assert/strict`.
 *
 * @example
 * // test/conformance.test.ts
 * runResultBackendConformance({
 *   name: "RedisResultBackend",
 *   makeBackend: (options) => new RedisResultBackend({ ...options, url: REDIS_URL }),
 *   destroyBackend: (backend) => backend.close(),
 * });
 */
export function runResultBackendConformance<B extends ResultBackend>(options: ResultBackendConformanceOptions<B>): void {
  registerBackendKit<B, Ctx>({
    kit: "runResultBackendConformance",
    title: `${options.name}: result backend conformance`,
    cases: CASES,
    framework: options.framework,
    testTimeout: options.testTimeout,
    skip: options.skip,
    ttlResolution: options.ttlResolution,
    destroyBackend: options.destroyBackend,
    async makeContext(track, resolution) {
      const backend = track(await options.makeBackend({}));
      const run = randomBytes(6).toString("hex");
      let n = 0;
      return {
        backend,
        unit: Math.max(300, resolution),
        message: (actorName = "add", queueName = "default") => ({ queueName, actorName, messageId: `q-rb-conformance-${run}-${n++}` }),
        make: async (o = {}) => track(await options.makeBackend(o)),
      };
    },
  });
}
