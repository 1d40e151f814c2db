import { RedisServer } from "@q/test-support/redis-server";
import { killAllQ } from "@q/test-support/q-process";
import { FIRE_KIB_PER_MESSAGE, FLAT_MIB, drain, expectFlat, produce } from "./support/backpressure";
import { recordFigure } from "./support/figures";
import { FULL, SCALE } from "./support/scale";

/** 200,000 awaited sends take minutes on a busy 2-core machine. */
const TIMEOUT = FULL ? 600_000 : 120_000;

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await killAllQ();
  await server?.destroy();
});

const N = SCALE.backpressure;

test(`one worker process draining ${N} queued messages from Redis keeps its RSS flat`, async () => {
  const r = await drain({ broker: "redis", url: server.url(), namespace: `bp-${Date.now()}`, queue: "bp" }, N);
  recordFigure("redis.backpressure.drain", { messages: N, ...r });
  expect(r.missing).toBe(0);
  expect(r.duplicates).toBe(0);
  // The worker holds at most its prefetch (16) messages whatever the queue's length.
  expectFlat(r.worker);
  expectFlat(r.supervisor);
}, TIMEOUT);

// await: `await job.send(i)` in a loop; window: 100 sends unresolved at a time.
for (const mode of ["await", "window"] as const) {
  test(`a producer sending ${N} messages to Redis (${mode}) keeps its RSS flat`, async () => {
    const namespace = `bpp-${mode}-${Date.now()}`;
    const r = await produce({ broker: "redis", url: server.url(), namespace, queue: "bp" }, N, mode);
    const client = server.client();
    const queued = await client.llen(`${namespace}:bp`);
    client.disconnect();
    recordFigure(`redis.backpressure.produce.${mode}`, { messages: N, ...r, queued });
    expect({ sent: r.sent, failed: r.failed, queued }).toEqual({ sent: N, failed: 0, queued: N });
    expectFlat(r.rss);
  }, TIMEOUT);
}

// Every send() made before any resolves: memory grows with the unresolved sends (that is
// what the user holds), by a bounded amount per message, and every one lands.
test(`a producer firing ${N} sends without awaiting them grows by at most ${FIRE_KIB_PER_MESSAGE} KiB per send (Redis), and loses none`, async () => {
  const mode = "fire";
  const namespace = `bpp-${mode}-${Date.now()}`;
  const r = await produce({ broker: "redis", url: server.url(), namespace, queue: "bp" }, N, mode);
  const client = server.client();
  const queued = await client.llen(`${namespace}:bp`);
  client.disconnect();
  recordFigure(`redis.backpressure.produce.${mode}`, { messages: N, ...r, queued, kibPerSend: Math.round((((r.rss.peak - r.rss.warm) * 1024) / N) * 10) / 10 });
  expect({ sent: r.sent, failed: r.failed, queued }).toEqual({ sent: N, failed: 0, queued: N });
  expect(r.rss.peak - r.rss.warm).toBeLessThanOrEqual(FLAT_MIB + (N * FIRE_KIB_PER_MESSAGE) / 1024);
}, TIMEOUT);
