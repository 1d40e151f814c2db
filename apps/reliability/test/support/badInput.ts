import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import { type Broker, Message, Worker, actor } from "@q/core";
import type { QRun } from "@q/test-support/q-process";
import { startQ } from "./chaosQ";
import { recordFigure } from "./figures";
import { FULL } from "./scale";

/**
 * The bad-input suite's shared pieces: the catalogue of bad payloads a live `q` is fed (each
 * with what must happen to it), the probe reading the worker's prototypes and memory, and
 * the in-process property run. Both broker files use them with their own raw injection.
 */

/** What must happen to a payload: dead-lettered (with `logged` in q's output), or run as good message `runs`. */
export interface BadPayload {
  readonly kind: string;
  readonly bytes: Buffer;
  /** The good message number it carries when it must run (bad options around a good call). */
  readonly runs?: number;
  /** Text q must log about it (the reason and, where the payload has one, the message id). */
  readonly logged?: string | RegExp;
}

const PROTO_KEYS = JSON.stringify({ __proto__: { polluted: true }, constructor: { prototype: { polluted: true } }, prototype: { polluted: true } })
  // JSON.stringify of an object literal drops a literal __proto__ (it sets the prototype): write the key itself.
  .replace(/^\{/, '{"__proto__":{"polluted":true},');

/** Dramatiq's JSON for a message, with `fields` replacing or adding wire fields (raw JSON text values). */
export function wireText(queue: string, fields: Record<string, string> = {}): { text: string; id: string } {
  const id = fields.message_id ? JSON.parse(fields.message_id) as string : `bi-${Math.random().toString(16).slice(2)}-${Date.now()}`;
  const all: Record<string, string> = {
    queue_name: JSON.stringify(queue),
    actor_name: '"chaos_work"',
    args: "[0]",
    kwargs: "{}",
    options: "{}",
    message_id: JSON.stringify(id),
    message_timestamp: String(Date.now()),
    ...fields,
  };
  return { text: `{${Object.entries(all).map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`, id };
}

/**
 * The payloads a live worker gets between good messages. `nextGood()` hands out the numbers of
 * good messages (those that must run exactly once) the bad-options payloads carry.
 */
export function catalogue(queue: string, nextGood: () => number, seed = 15): BadPayload[] {
  const out: BadPayload[] = [];
  const text = (fields: Record<string, string>) => wireText(queue, fields);
  const dead = (kind: string, fields: Record<string, string>, logged: (id: string) => string | RegExp) => {
    const { text: t, id } = text(fields);
    out.push({ kind, bytes: Buffer.from(t), logged: logged(id) });
  };
  for (const [i, bytes] of fc.sample(fc.uint8Array({ minLength: 1, maxLength: 200 }), { numRuns: 3, seed }).entries()) {
    out.push({ kind: `random bytes #${i}`, bytes: Buffer.from(bytes), logged: "undecodable message" });
  }
  {
    const { text: t } = text({ args: "[1]" });
    out.push({ kind: "truncated JSON", bytes: Buffer.from(t.slice(0, Math.floor(t.length / 2))), logged: "undecodable message" });
  }
  dead("wrong field types", { args: '"x"', kwargs: "[]" }, (id) => new RegExp(`undecodable message.*${id}.*args must be an array`));
  dead("message_timestamp a string", { message_timestamp: '"yesterday"' }, (id) => new RegExp(`${id}.*message_timestamp must be a number`));
  dead("unknown actor", { actor_name: '"badinput_nobody"' }, (id) => `Received message ${id} on ${queue} for undefined actor 'badinput_nobody'`);
  dead("too few arguments", { args: "[]" }, (id) => `but message ${id} has 0`);
  dead("too many arguments", { args: "[1,2,3]" }, (id) => `but message ${id} has 3`);
  dead("top-level __proto__ key", {}, () => "unknown message field(s): __proto__");
  out[out.length - 1] = {
    ...out[out.length - 1]!,
    bytes: Buffer.from(out[out.length - 1]!.bytes.toString().replace(/^\{/, '{"__proto__":{"polluted":true},')),
  };
  dead("top-level constructor key", { constructor: '{"prototype":{"polluted":true}}' }, (id) => new RegExp(`${id}.*unknown message field\\(s\\): constructor`));
  dead("100k levels of nesting", { args: `[${"[".repeat(100_000)}${"]".repeat(100_000)}]` }, (id) => new RegExp(`${id}.*nested deeper than 2000 levels`));
  {
    const { text: t, id } = text({ args: '["xxxx"]' });
    const at = t.indexOf("xxxx");
    out.push({
      kind: "invalid UTF-8",
      bytes: Buffer.concat([Buffer.from(t.slice(0, at)), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(t.slice(at))]),
      logged: new RegExp(`undecodable message.*${id}`),
    });
  }
  {
    const { text: t, id } = text({ args: `[1,"${"x".repeat(50 * 1024 * 1024)}"]` });
    out.push({ kind: "50 MB message", bytes: Buffer.from(t), logged: new RegExp(`Message ${id} .*is ${Buffer.byteLength(t)} bytes, over the broker's maxMessageSize`) });
  }
  // Bad option values: documented as warned about (where an option is read) and otherwise
  // ignored, so each of these is a good message that must run exactly once.
  const runs = (kind: string, options: string, logged?: (id: string) => string | RegExp) => {
    const n = nextGood();
    const { text: t, id } = text({ args: `[${n}]`, options });
    out.push({ kind, bytes: Buffer.from(t), runs: n, logged: logged?.(id) });
  };
  runs("time_limit a string", '{"time_limit":"x"}', (id) => `Message ${id} has an invalid time_limit option "x"`);
  runs("max_age a string", '{"max_age":"soon"}', (id) => `Message ${id} has an invalid max_age option "soon"`);
  runs("retries a string", '{"retries":"x"}');
  runs("negative max_retries", '{"max_retries":-1}');
  runs("eta NaN", '{"eta":NaN}');
  runs("priority a string", '{"priority":"high","broker_priority":"urgent"}');
  runs("__proto__, constructor and prototype in options", PROTO_KEYS);
  return out;
}

/** The worker's view of itself, from the fixture `badinput_probe`. */
export interface Probe {
  tag: string;
  pid: number;
  prototypes: Record<string, string>;
  polluted: boolean;
  rss: number;
  heapUsed: number;
}

/** Runs `q broker.cjs actors.cjs badinputActors.cjs -p 1 -t 4 -Q queue` (one worker process, so one pid to watch). */
export function startBadInputQ(options: { broker: "redis" | "rabbitmq"; url: string; namespace?: string; queue: string; env: NodeJS.ProcessEnv }): QRun {
  return startQ({ ...options, modules: ["actors.cjs", "badinputActors.cjs"], processes: 1, threads: 4 });
}

/** The built-in prototypes' own keys in this process (what the probe reports in the worker's). */
export function prototypeSnapshot(): string[] {
  return [Object.prototype, Array.prototype, Function.prototype, String.prototype, Number.prototype].map((p) => Object.getOwnPropertyNames(p).sort().join(","));
}

/** Property runs of the in-process run: modest in CI, more with CHAOS_SCALE=full. */
export const PROPERTY_RUNS = FULL ? 300 : 30;

/** A bad payload for the in-process property run, and the good number it carries if it must run. */
export function badPayloadArbitrary(queue: string): fc.Arbitrary<{ kind: string; bytes: Buffer; runs: boolean }> {
  const msg = (fields: Record<string, string>) => Buffer.from(wireText(queue, { actor_name: '"bi_good"', args: "[-1]", ...fields }).text);
  const jsonText = (v: unknown) => JSON.stringify(v) ?? "null";
  const dangerous = fc.dictionary(fc.constantFrom("__proto__", "constructor", "prototype", "polluted", "toString"), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 3 });
  const dead = (kind: string, a: fc.Arbitrary<Buffer>) => a.map((bytes) => ({ kind, bytes, runs: false }));
  return fc.oneof(
    dead("random bytes", fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b))),
    dead("truncated", fc.nat().map((cut) => {
      const full = msg({});
      return full.subarray(0, cut % full.length);
    })),
    dead("wrong type", fc.tuple(fc.constantFrom("queue_name", "actor_name", "args", "kwargs", "options"), fc.oneof(fc.integer(), fc.constant(null), fc.boolean())).map(([field, value]) => msg({ [field]: jsonText(value) }))),
    dead("unknown actor", fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s !== "bi_good").map((name) => msg({ actor_name: jsonText(name) }))),
    dead("wrong argument count", fc.array(fc.integer(), { maxLength: 5 }).filter((a) => a.length !== 1).map((args) => msg({ args: jsonText(args) }))),
    dead("invalid UTF-8", fc.constantFrom([0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf]).map((bad) => {
      const t = msg({ args: '["x"]' }).toString();
      const at = t.indexOf('"x"') + 1;
      return Buffer.concat([Buffer.from(t.slice(0, at)), Buffer.from(bad), Buffer.from(t.slice(at))]);
    })),
    dead("deep nesting", fc.integer({ min: 2001, max: 20_000 }).map((n) => msg({ args: `[${"[".repeat(n)}${"]".repeat(n)}]` }))),
    dead("dangerous top-level key", fc.constantFrom("__proto__", "constructor", "prototype").map((key) => Buffer.from(msg({}).toString().replace(/^\{/, `{"${key}":{"polluted":true},`)))),
    // These must run (bi_good(-1) counts them apart from the numbered good messages).
    fc.oneof(
      dangerous.map((d) => ({ kind: "dangerous option keys", bytes: msg({ options: jsonText(d) }), runs: true })),
      dangerous.map((d) => ({ kind: "dangerous keys nested in an option value", bytes: msg({ options: `{"x":${jsonText(d)}}` }), runs: true })),
      fc.record({ time_limit: fc.oneof(fc.string(), fc.constant(-5)), max_age: fc.oneof(fc.string(), fc.boolean()), retries: fc.string(), max_retries: fc.integer({ max: -1 }), priority: fc.string() }).map((o) => ({
        kind: "bad option values",
        bytes: msg({ options: jsonText(o) }),
        runs: true,
      })),
    ),
  );
}

/**
 * The in-process property run: a Worker on `broker` (a real one) gets each generated bad
 * payload followed by a numbered good message; after each case the good one ran and no
 * prototype changed. Returns the counts to assert on.
 */
export async function runPropertyCases(
  broker: Broker,
  queue: string,
  inject: (bytes: Buffer) => Promise<void>,
): Promise<{ good: Map<number, number>; sent: number; mustRunBad: number; ranBad: number; deadExpected: number; worker: Worker }> {
  const good = new Map<number, number>();
  let ranBad = 0;
  let waiter: { n: number; resolve: () => void } | undefined;
  actor(
    function bi_good(n: number) {
      if (n === -1) ranBad++;
      else if (n === -2) warmedUp();
      else good.set(n, (good.get(n) ?? 0) + 1);
      if (waiter && good.has(waiter.n)) waiter.resolve();
    },
    { broker, queueName: queue, maxRetries: 0 },
  );
  let warmedUp: () => void = () => undefined;
  const warm = new Promise<void>((resolve) => (warmedUp = resolve));
  const worker = new Worker(broker, { queues: [queue], timeout: 100 });
  await worker.start();
  // Raw bytes published before the queue exists on the server are dropped by RabbitMQ (no
  // queue, no message): a first message through the broker, run, shows the queue is there.
  await broker.enqueue(new Message({ queueName: queue, actorName: "bi_good", args: [-2] }));
  await warm;
  const before = prototypeSnapshot();
  let sent = 0;
  let mustRunBad = 0;
  let deadExpected = 0;
  await fc.assert(
    fc.asyncProperty(badPayloadArbitrary(queue), async (bad) => {
      const n = sent++;
      if (bad.runs) mustRunBad++;
      else deadExpected++;
      await inject(bad.bytes);
      const ran = new Promise<void>((resolve) => (waiter = { n, resolve }));
      await broker.enqueue(new Message({ queueName: queue, actorName: "bi_good", args: [n] }));
      const timer = new AbortController();
      const late = sleep(10_000, undefined, { signal: timer.signal }).then(() => Promise.reject(new Error(`good message ${n} after a ${bad.kind} payload did not run in 10 s`)));
      late.catch(() => undefined);
      try {
        await Promise.race([ran, late]);
      } finally {
        timer.abort();
      }
      if (JSON.stringify(prototypeSnapshot()) !== JSON.stringify(before) || ({} as Record<string, unknown>).polluted !== undefined) {
        throw new Error(`a ${bad.kind} payload changed a built-in prototype`);
      }
    }),
    { numRuns: PROPERTY_RUNS, seed: Number(process.env.BADINPUT_SEED ?? 15), endOnFailure: true },
  );
  return { good, sent, mustRunBad, ranBad, deadExpected, worker };
}

/**
 * What a live worker must still be after the bad payloads: the same process, running, with
 * its prototypes untouched (the probe's three readings), each payload's reason in q's log, and
 * its memory within a generous bound (recorded as `<broker>.badInput.workerMemory`).
 *
 * @example
 * expectWorkerUnharmed("redis", q, bad, await probes(), { good, dead });
 */
export function expectWorkerUnharmed(broker: "redis" | "rabbitmq", q: QRun, bad: readonly BadPayload[], all: readonly Probe[], counts: { good: number; dead: number }): void {
  const { good, dead } = counts;
  const before = all.find((p) => p.tag === "before");
  const after = all.find((p) => p.tag === "after");
  const withKeys = all.find((p) => typeof p.tag === "object");
  expect(Object.keys(withKeys!.tag as unknown as object).sort()).toEqual(["__proto__", "constructor"].sort());
  // The same worker process all along, prototypes untouched.
  expect(new Set([before!.pid, withKeys!.pid, after!.pid]).size).toBe(1);
  expect(q.proc.exitCode).toBeNull();
  expect(withKeys!.prototypes).toEqual(before!.prototypes);
  expect(after!.prototypes).toEqual(before!.prototypes);
  expect([before!.polluted, withKeys!.polluted, after!.polluted]).toEqual([false, false, false]);

  const log = q.lines.join("\n");
  for (const payload of bad) {
    if (payload.logged === undefined) continue;
    if (typeof payload.logged === "string") expect({ kind: payload.kind, logged: log.includes(payload.logged) }).toEqual({ kind: payload.kind, logged: true });
    else expect({ kind: payload.kind, logged: payload.logged.test(log) }).toEqual({ kind: payload.kind, logged: true });
  }
  const growth = { rssMiB: (after!.rss - before!.rss) / 2 ** 20, heapUsedMiB: (after!.heapUsed - before!.heapUsed) / 2 ** 20 };
  recordFigure(`${broker}.badInput.workerMemory`, {
    payloads: bad.length,
    goodMessages: good,
    deadLettered: dead,
    rssBeforeMiB: +(before!.rss / 2 ** 20).toFixed(1),
    rssAfterMiB: +(after!.rss / 2 ** 20).toFixed(1),
    heapUsedBeforeMiB: +(before!.heapUsed / 2 ** 20).toFixed(1),
    heapUsedAfterMiB: +(after!.heapUsed / 2 ** 20).toFixed(1),
  });
  // Generous: the 50 MB payload is read once (the fetch brings it) and then garbage.
  expect(growth.rssMiB).toBeLessThan(256);
  expect(growth.heapUsedMiB).toBeLessThan(64);
}
