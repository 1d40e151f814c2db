/**
 * Bad input on Redis (issue 15): a live `q` worker gets random bytes, truncated JSON, wrong
 * field types, unknown actors, wrong argument counts, bad option values, prototype keys,
 * 100k levels of nesting, invalid UTF-8 and a 50 MB message, written straight into the
 * namespace's queue list and message hash as another producer would, between good messages
 * sent through the broker. Every bad one is dead-lettered with the reason (and message id)
 * logged or run as documented; the worker process stays the same process; no prototype
 * changes; each good message runs exactly once; its memory is measured.
 */
import { setTimeout as sleep } from "node:timers/promises";
import Redis from "ioredis";
import { Message } from "@q/core";
import { RedisBroker } from "@q/broker-redis";
import { silentLogger } from "@q/test-support";
import { waitReady } from "@q/test-support/q-process";
import { REDIS_URL, deleteNamespace, freshNamespace, requireRedis } from "@q/test-support/redis";
import { Ledger } from "./support/ledger";
import { recordFigure } from "./support/figures";
import { type Probe, catalogue, expectWorkerUnharmed, prototypeSnapshot, runPropertyCases, startBadInputQ, wireText } from "./support/badInput";

jest.setTimeout(60_000);

let redis: Redis;
const namespaces: string[] = [];

beforeAll(async () => {
  await requireRedis();
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  for (const ns of namespaces) await deleteNamespace(redis, ns);
  redis.disconnect();
});

/** Writes bytes as Dramatiq's enqueue does: HSET ns:q.msgs id bytes, RPUSH ns:q id. */
async function injectRaw(namespace: string, queue: string, id: string, bytes: Buffer): Promise<void> {
  await redis.hset(`${namespace}:${queue}.msgs`, id, bytes);
  await redis.rpush(`${namespace}:${queue}`, id);
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test("a live q worker dead-letters or runs each kind of bad payload as documented, stays up, runs every good message once, with bounded memory", async () => {
  const namespace = freshNamespace("badinput");
  namespaces.push(namespace);
  const queue = "badinput";
  const ledger = await Ledger.open();
  const producer = new RedisBroker({ url: REDIS_URL, namespace });
  producer.declareQueue(queue);
  const q = startBadInputQ({ broker: "redis", url: REDIS_URL, namespace, queue, env: ledger.env });
  try {
    await waitReady(q, 1);
    let good = 0;
    const sendGood = () => producer.enqueue(new Message({ queueName: queue, actorName: "chaos_work", args: [good++] }));
    const probe = (tag: string) => producer.enqueue(new Message({ queueName: queue, actorName: "badinput_probe", args: [tag] }));
    const probes = async (): Promise<Probe[]> => (await redis.lrange(`${ledger.key}:probe`, 0, -1)).map((p) => JSON.parse(p) as Probe);

    // Warm up (the first messages load code and fill caches), then measure.
    for (let i = 0; i < 20; i++) await sendGood();
    await ledger.waitForAll(good, 20_000);
    await probe("before");
    await waitUntil("the first probe", async () => (await probes()).length === 1, 10_000);

    const bad = catalogue(queue, () => good++);
    let dead = 0;
    for (const [i, payload] of bad.entries()) {
      await sendGood();
      await injectRaw(namespace, queue, `foreign-${i}`, payload.bytes);
      if (payload.runs === undefined) dead++;
    }
    // Prototype keys in an actor's argument: run, and the probe reports the prototypes after it.
    await injectRaw(namespace, queue, "foreign-probe", Buffer.from(wireText(queue, { actor_name: '"badinput_probe"', args: `[{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}]` }).text));
    await sendGood();
    await ledger.waitForAll(good, 30_000);
    await probe("after");
    await waitUntil("both probes", async () => (await probes()).length === 3, 20_000);
    await waitUntil(`${dead} dead letters`, async () => (await redis.zcard(`${namespace}:${queue}.XQ`)) >= dead, 10_000);
    await sleep(500); // anything run twice or dead-lettered late would show up by now

    const summary = await ledger.summary(good);
    expect(summary).toEqual({ processed: good, missing: [], duplicates: 0, duplicated: [] });
    expect(await ledger.length()).toBe(good);
    const deadIds = (await redis.zrange(`${namespace}:${queue}.XQ`, "0", "-1")).sort();
    const expectedDead = bad.flatMap((p, i) => (p.runs === undefined ? [`foreign-${i}`] : [])).sort();
    expect(deadIds).toEqual(expectedDead);
    expect(await redis.llen(`${namespace}:${queue}`)).toBe(0);

    expectWorkerUnharmed("redis", q, bad, await probes(), { good, dead });
  } finally {
    q.proc.kill("SIGTERM");
    await q.exited;
    await producer.close();
    await ledger.close();
  }
});

test("property: an in-process worker dead-letters every generated bad payload and runs the good message after it exactly once", async () => {
  const namespace = freshNamespace("badinput");
  namespaces.push(namespace);
  const queue = "badinput_prop";
  const broker = new RedisBroker({ url: REDIS_URL, namespace, logger: silentLogger() });
  const before = prototypeSnapshot();
  let n = 0;
  const run = await runPropertyCases(broker, queue, (bytes) => injectRaw(namespace, queue, `prop-${n++}`, bytes));
  try {
    await broker.join(queue, { timeout: 10_000 });
    expect([...run.good.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: run.sent }, (_, i) => i));
    expect([...run.good.values()].every((c) => c === 1)).toBe(true);
    expect(run.ranBad).toBe(run.mustRunBad);
    expect(await redis.zcard(`${namespace}:${queue}.XQ`)).toBe(run.deadExpected);
    expect(prototypeSnapshot()).toEqual(before);
    recordFigure("redis.badInput.property", { cases: run.sent, deadLettered: run.deadExpected, ranAsDocumented: run.mustRunBad });
  } finally {
    await run.worker.stop({ timeout: 2000 });
    await broker.close();
  }
});
