import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Barrier } from "../ratelimits/Barrier";
import type { RateLimiterBackend } from "../ratelimits/RateLimiterBackend";
import type { TestFramework } from "./conformance";
import { registerBackendKit } from "./registerBackendKit";

/**
 * The cases of {@link runRateLimiterBackendConformance}, by id (for `skip`).
 *
 * @example
 * const skip: RateLimiterBackendCase[] = ["ttl-refresh"];
 */
export type RateLimiterBackendCase =
  | "add"
  | "incr"
  | "decr"
  | "missing-keys"
  | "expiry"
  | "ttl-refresh"
  | "incr-and-sum"
  | "atomic-incr"
  | "atomic-incr-and-sum"
  | "wait-notify"
  | "wait-timeout"
  | "wait-many"
  | "notification-expiry"
  | "barrier-non-blocking"
  | "barrier-blocks"
  | "barrier-timeout"
  | "mutex"
  | "window";

/**
 * How to run the rate-limiter backend kit against one backend.
 *
 * @example
 * const options: RateLimiterBackendConformanceOptions<RedisRateLimiterBackend> = {
 *   name: "RedisRateLimiterBackend",
 *   makeBackend: () => new RedisRateLimiterBackend({ url: process.env.REDIS_URL }),
 *   destroyBackend: (backend) => backend.close(),
 * };
 */
export interface RateLimiterBackendConformanceOptions<B extends RateLimiterBackend = RateLimiterBackend> {
  /** Shown in the `describe` title. */
  name: string;
  /**
   * A backend for one test. Called several times per test where the kit needs
   * independent clients (contention, blocking waits); they must share one store.
   */
  makeBackend(): B | Promise<B>;
  /** Disposes of a backend after its test (close its connections); default: nothing. */
  destroyBackend?(backend: B): void | Promise<void>;
  /**
   * The granularity of the backend's expiries in ms; default 1. Memcached keeps TTLs in
   * whole seconds (1000): the expiry cases then scale their TTLs and waits to it.
   */
  ttlResolution?: number;
  /** Per-test timeout in ms; default 20000. */
  testTimeout?: number;
  /** Cases not to run (registered as skipped when the framework has `it.skip`). */
  skip?: readonly RateLimiterBackendCase[];
  /** Test functions to use instead of the globals (e.g. from `node:test`). */
  framework?: Partial<TestFramework>;
}

/** Per-test state handed to each case. */
interface Ctx {
  /** The test's first backend. */
  readonly backend: RateLimiterBackend;
  /** `n` further backends on the same store (independent clients). */
  more(n: number): Promise<RateLimiterBackend[]>;
  /** A key no other test uses. */
  key(name: string): string;
  /** The time unit of the expiry cases (ms): 100, or the backend's TTL resolution if coarser. */
  readonly unit: number;
}

interface CaseDef {
  id: RateLimiterBackendCase;
  title: string;
  run(c: Ctx): Promise<void>;
}

/** Whether `promise` has settled within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await sleep(ms);
  return settled;
}

/** ConcurrentRateLimiter's backend calls (spec 10): acquire = add, else a bounded incr. */
async function acquireSlot(backend: RateLimiterBackend, key: string, limit: number, ttl: number): Promise<boolean> {
  return (await backend.add(key, 1, ttl)) || backend.incr(key, 1, limit, ttl);
}

const CASES: readonly CaseDef[] = [
  {
    id: "add",
    title: "add sets a missing key only, to its value",
    async run({ backend, key }) {
      const k = key("add");
      assert.equal(await backend.add(k, 5, 60_000), true);
      assert.equal(await backend.add(k, 7, 60_000), false, "add must not overwrite a live key");
      // The value is 5: it goes down to 0 in exactly that many steps.
      assert.equal(await backend.decr(k, 5, 0, 60_000), true);
      assert.equal(await backend.decr(k, 1, 0, 60_000), false);
    },
  },
  {
    id: "incr",
    title: "incr adds up to the maximum and refuses to go above it, changing nothing when it refuses",
    async run({ backend, key }) {
      const k = key("incr");
      await backend.add(k, 1, 60_000);
      assert.equal(await backend.incr(k, 1, 3, 60_000), true); // 2
      assert.equal(await backend.incr(k, 1, 3, 60_000), true); // 3
      assert.equal(await backend.incr(k, 1, 3, 60_000), false); // would be 4
      assert.equal(await backend.incr(k, 5, 3, 60_000), false);
      // Refused increments changed nothing: 3 → 0 takes exactly three steps.
      assert.equal(await backend.decr(k, 3, 0, 60_000), true);
      assert.equal(await backend.decr(k, 1, 0, 60_000), false);
      assert.equal(await backend.incr(k, 3, 3, 60_000), true);
    },
  },
  {
    id: "decr",
    title: "decr subtracts down to the minimum and refuses to go below it, changing nothing when it refuses",
    async run({ backend, key }) {
      const k = key("decr");
      await backend.add(k, 3, 60_000);
      assert.equal(await backend.decr(k, 1, 1, 60_000), true); // 2
      assert.equal(await backend.decr(k, 1, 1, 60_000), true); // 1
      assert.equal(await backend.decr(k, 1, 1, 60_000), false); // would be 0
      assert.equal(await backend.decr(k, 1, 1, 60_000), false);
      // Still 1: +2 reaches the maximum of 3, one more does not fit.
      assert.equal(await backend.incr(k, 2, 3, 60_000), true);
      assert.equal(await backend.incr(k, 1, 3, 60_000), false);
    },
  },
  {
    id: "missing-keys",
    title: "incr counts a missing key as 0 and creates it; decr of a missing key is refused and creates nothing",
    async run({ backend, key }) {
      const created = key("created");
      assert.equal(await backend.incr(created, 1, 10, 60_000), true);
      assert.equal(await backend.add(created, 5, 60_000), false, "incr created the key");
      assert.equal(await backend.decr(created, 1, 0, 60_000), true);
      assert.equal(await backend.decr(created, 1, 0, 60_000), false, "it held 1");
      const tooBig = key("too-big");
      assert.equal(await backend.incr(tooBig, 3, 2, 60_000), false);
      assert.equal(await backend.add(tooBig, 1, 60_000), true, "a refused incr creates nothing");
      const absent = key("absent");
      assert.equal(await backend.decr(absent, 1, 0, 60_000), false);
      assert.equal(await backend.add(absent, 1, 60_000), true, "a refused decr creates nothing");
    },
  },
  {
    id: "expiry",
    title: "a key lives for its TTL and is gone after it",
    async run({ backend, key, unit }) {
      const k = key("expiry");
      assert.equal(await backend.add(k, 1, 3 * unit), true);
      assert.equal(await backend.add(k, 1, 3 * unit), false, "alive right after add");
      await sleep(unit);
      assert.equal(await backend.add(k, 1, 3 * unit), false, "alive within its TTL");
      await sleep(3 * unit + 200);
      assert.equal(await backend.add(k, 2, 60_000), true, "gone after its TTL");
      assert.equal(await backend.decr(k, 2, 0, 60_000), true, "the new value is the one added after expiry");
    },
  },
  {
    id: "ttl-refresh",
    title: "a successful incr or decr refreshes the key's TTL; a refused one does not",
    async run({ backend, key, unit }) {
      const inc = key("refresh-incr");
      const dec = key("refresh-decr");
      // Margins of at least 0.8 units around every expiry: a server whose clock ticks once per
      // unit (memcached: each second) expires an item up to a unit early or late.
      await backend.add(inc, 1, 4 * unit);
      await backend.add(dec, 2, 4 * unit);
      await sleep(2 * unit);
      assert.equal(await backend.incr(inc, 1, 5, 5 * unit), true);
      assert.equal(await backend.decr(dec, 1, 0, 5 * unit), true);
      await sleep(3.2 * unit); // past the first TTL (4, at most 5 units), within the refreshed one (7, at least 6)
      assert.equal(await backend.add(inc, 9, 60_000), false, "incr refreshed the TTL");
      assert.equal(await backend.add(dec, 9, 60_000), false, "decr refreshed the TTL");
      // Refused: these must not extend the keys' lives.
      assert.equal(await backend.incr(inc, 10, 5, 60_000), false);
      assert.equal(await backend.decr(dec, 5, 0, 60_000), false);
      await sleep(3 * unit + 200);
      assert.equal(await backend.add(inc, 9, 60_000), true, "gone after the refreshed TTL");
      assert.equal(await backend.add(dec, 9, 60_000), true, "gone after the refreshed TTL");
    },
  },
  {
    id: "incr-and-sum",
    title: "incrAndSum bounds the key and the sum over the window's keys, counting missing keys as 0",
    async run({ backend, key }) {
      const [a, b, c] = [key("w@3"), key("w@2"), key("w@1")];
      const keys = () => [a, b, c];
      await backend.add(c, 2, 60_000);
      await backend.add(b, 1, 60_000);
      // a is missing: 1 + (0 + 1 + 2) = 4 <= 4, and a is created.
      assert.equal(await backend.incrAndSum(a, keys, 1, 4, 60_000), true);
      assert.equal(await backend.incrAndSum(a, keys, 1, 4, 60_000), false, "the sum would be 5");
      assert.equal(await backend.add(a, 0, 60_000), false, "incrAndSum created the key");
      // a alone is bounded too: 1 + 4 > 4 even without the other keys.
      const solo = key("solo");
      await backend.add(solo, 4, 60_000);
      assert.equal(await backend.incrAndSum(solo, () => [solo], 1, 4, 60_000), false);
      assert.equal(await backend.incrAndSum(solo, () => [solo], 1, 5, 60_000), true);
      // Refused calls changed nothing: a holds exactly 1.
      assert.equal(await backend.decr(a, 1, 0, 60_000), true);
      assert.equal(await backend.decr(a, 1, 0, 60_000), false);
    },
  },
  {
    id: "atomic-incr",
    title: "concurrent incr calls from several clients never pass the maximum: exactly that many succeed",
    async run({ backend, more, key }) {
      const k = key("atomic");
      const clients = [backend, ...(await more(3))];
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => clients[i % clients.length]!.incr(k, 1, 7, 60_000)));
      assert.equal(results.filter(Boolean).length, 7);
      const releases = await Promise.all(Array.from({ length: 10 }, (_, i) => clients[i % clients.length]!.decr(k, 1, 0, 60_000)));
      assert.equal(releases.filter(Boolean).length, 7, "the counter held exactly 7");
    },
  },
  {
    id: "atomic-incr-and-sum",
    title: "concurrent incrAndSum calls from several clients never pass the maximum over the window",
    async run({ backend, more, key }) {
      const [now, prev] = [key("aw@2"), key("aw@1")];
      await backend.add(prev, 2, 60_000);
      const clients = [backend, ...(await more(3))];
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => clients[i % clients.length]!.incrAndSum(now, () => [now, prev], 1, 6, 60_000)),
      );
      assert.equal(results.filter(Boolean).length, 4, "2 in the previous second leave 4 of 6");
    },
  },
  {
    id: "wait-notify",
    title: "wait resolves true once its key is notified, and a notification made earlier counts",
    async run({ backend, more, key }) {
      const k = key("ev");
      const [waiter] = await more(1);
      const waiting = waiter!.wait(k, 10_000);
      assert.equal(await settlesWithin(waiting, 100), false, "no notification yet");
      await backend.waitNotify(k, 60_000);
      assert.equal(await waiting, true);
      // Later waits see the earlier notification (as long as it lives).
      assert.equal(await waiter!.wait(k, 1_000), true);
      assert.equal(await backend.wait(k, undefined), true);
    },
  },
  {
    id: "wait-timeout",
    title: "wait resolves false when its timeout passes first, honouring sub-second timeouts",
    async run({ backend, key }) {
      const k = key("quiet");
      const started = performance.now();
      assert.equal(await backend.wait(k, 250), false);
      const took = performance.now() - started;
      assert.ok(took >= 240, `waited ${took.toFixed(0)} ms of 250`);
      assert.ok(took < 900, `a 250 ms wait took ${took.toFixed(0)} ms`);
      const zero = performance.now();
      assert.equal(await backend.wait(k, 0), false);
      assert.ok(performance.now() - zero < 500, "a zero timeout only checks");
    },
  },
  {
    id: "wait-many",
    title: "one notification wakes every waiter, on every client",
    async run({ backend, more, key }) {
      const k = key("ev-many");
      const waiters = await more(3);
      const waits = [...waiters.map((w) => w.wait(k, 10_000)), waiters[0]!.wait(k, undefined)];
      await sleep(100);
      await backend.waitNotify(k, 60_000);
      assert.deepEqual(await Promise.all(waits), [true, true, true, true]);
      assert.equal(await backend.wait(key("ev-other"), 100), false, "other keys are not notified");
    },
  },
  {
    id: "notification-expiry",
    title: "a notification lasts its TTL",
    async run({ backend, key, unit }) {
      const k = key("ev-ttl");
      await backend.waitNotify(k, 3 * unit);
      assert.equal(await backend.wait(k, 0), true);
      await sleep(4 * unit + 200);
      assert.equal(await backend.wait(k, 0), false);
    },
  },
  {
    id: "barrier-non-blocking",
    title: "Barrier: only the last party clears it, create refuses an existing barrier, and later waits report it cleared",
    async run({ backend, key }) {
      const barrier = new Barrier(backend, key("barrier"), { ttl: 60_000 });
      assert.equal(await barrier.create(3), true);
      assert.equal(await barrier.create(3), false);
      assert.equal(await barrier.wait({ block: false }), false);
      assert.equal(await barrier.wait({ block: false }), false);
      assert.equal(await barrier.wait({ block: false }), true);
      assert.equal(await barrier.wait({ block: false }), true);
    },
  },
  {
    id: "barrier-blocks",
    title: "Barrier: a blocking wait blocks until the last party arrives, on another client (spec 17.1 #46)",
    async run({ backend, more, key }) {
      const k = key("barrier-block");
      const [one, two] = await more(2);
      await new Barrier(backend, k, { ttl: 60_000 }).create(3);
      const events: string[] = [];
      const waiting = [one!, two!].map((b, i) =>
        new Barrier(b, k, { ttl: 60_000 }).wait().then((cleared) => {
          events.push(`party ${i} released`);
          return cleared;
        }),
      );
      assert.equal(await settlesWithin(Promise.race(waiting), 300), false, "two of three parties: still blocked");
      events.push("last arrives");
      assert.equal(await new Barrier(backend, k, { ttl: 60_000 }).wait(), true);
      assert.deepEqual(await Promise.all(waiting), [true, true]);
      assert.deepEqual(events.slice(0, 1), ["last arrives"]);
      assert.equal(events.length, 3);
    },
  },
  {
    id: "barrier-timeout",
    title: "Barrier: a blocking wait gives false once its (sub-second) timeout passes",
    async run({ backend, key }) {
      const barrier = new Barrier(backend, key("barrier-timeout"), { ttl: 60_000 });
      await barrier.create(2);
      const started = performance.now();
      assert.equal(await barrier.wait({ timeout: 300 }), false);
      const took = performance.now() - started;
      assert.ok(took >= 290 && took < 1_000, `a 300 ms barrier wait took ${took.toFixed(0)} ms`);
    },
  },
  {
    id: "mutex",
    title: "the concurrent limiter's calls with limit 1 make a mutex: one holder at a time, free again once released (spec 17.1 #47)",
    async run({ backend, more, key }) {
      const k = key("mutex");
      const clients = [backend, ...(await more(3))];
      let holders = 0;
      let most = 0;
      let calls = 0;
      await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const client = clients[i % clients.length]!;
          if (!(await acquireSlot(client, k, 1, 60_000))) return;
          calls++;
          most = Math.max(most, ++holders);
          await sleep(100);
          holders--;
          await client.decr(k, 1, 0, 60_000);
        }),
      );
      assert.equal(calls, 1, "exactly one of 8 concurrent callers got the mutex");
      assert.equal(most, 1);
      assert.equal(await acquireSlot(backend, k, 1, 60_000), true, "released: free again");
      assert.equal(await acquireSlot(clients[1]!, k, 1, 60_000), false);
    },
  },
  {
    id: "window",
    title: "the window limiter's calls let exactly `limit` through per window (spec 17.1 #48)",
    async run({ backend, more, key }) {
      // WindowRateLimiter's keys for a window of 2 s at second s and then s + 1.
      const at = (s: number) => key(`window@${s}`);
      const clients = [backend, ...(await more(2))];
      const attempt = (s: number, n: number) =>
        Promise.all(Array.from({ length: n }, (_, i) => clients[i % clients.length]!.incrAndSum(at(s), () => [at(s), at(s - 1)], 1, 3, 60_000)));
      assert.equal((await attempt(100, 10)).filter(Boolean).length, 3, "second 100: 3 of 10");
      assert.equal((await attempt(101, 10)).filter(Boolean).length, 0, "second 101: second 100 still fills the window");
      assert.equal((await attempt(102, 10)).filter(Boolean).length, 3, "second 102: second 100 has left the window");
    },
  },
];

/**
 * Registers the rate-limiter backend conformance suite: one `describe` with an `it` per
 * behaviour every {@link RateLimiterBackend} must have: `add`, bounded `incr`/`decr` that
 * change nothing when they refuse, missing keys counting as 0, expiry and TTL refresh,
 * `incrAndSum` over a window, atomicity under contention from several clients, `wait` and
 * `waitNotify` (notified, timed out, many waiters, a notification's TTL), {@link Barrier}
 * (non-blocking, blocking, timed out), and the limiters' call sequences as a mutex and as
 * a window (spec 17.1 #46-48). Keys are unique per test, so it is safe on a shared server.
 * Uses the global `describe`/`it`/`beforeEach`/`afterEach` (jest, vitest with globals,
 * mocha) and `node:assert/strict`.
 *
 * @example
 * // test/conformance.test.ts
 * runRateLimiterBackendConformance({
 *   name: "MemoryRateLimiterBackend",
 *   makeBackend: () => shared, // one store: every call returns a client of it
 * });
 */
export function runRateLimiterBackendConformance<B extends RateLimiterBackend>(options: RateLimiterBackendConformanceOptions<B>): void {
  registerBackendKit<B, Ctx>({
    kit: "runRateLimiterBackendConformance",
    title: `${options.name}: rate-limiter backend conformance`,
    cases: CASES,
    framework: options.framework,
    testTimeout: options.testTimeout,
    skip: options.skip,
    ttlResolution: options.ttlResolution,
    destroyBackend: options.destroyBackend,
    async makeContext(track, resolution) {
      const backend = track(await options.makeBackend());
      const prefix = `q-rl-conformance-${randomBytes(6).toString("hex")}`;
      return {
        backend,
        unit: Math.max(100, resolution),
        key: (name) => `${prefix}:${name}`,
        more: async (n) => {
          const extra: B[] = [];
          for (let i = 0; i < n; i++) extra.push(track(await options.makeBackend()));
          return extra;
        },
      };
    },
  });
}
