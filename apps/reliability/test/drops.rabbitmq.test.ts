/**
 * Server-side connection drops on RabbitMQ (`rabbitmqctl close_connection`) of the producer's
 * connection, of `q`'s workers' connections and of all of them, while a producer process
 * enqueues and a real `q` consumes: nothing lost (with publisher confirms), the queue ends with
 * 0 ready and 0 unacked, no ERROR line from `q`, every send resolved or failed with a typed
 * QError. The same without confirms (the default, as Dramatiq) shows what a resolved send is
 * worth then.
 */
import { RabbitServer } from "@q/test-support/rabbit-server";
import { killAllQ, READY, waitReady } from "@q/test-support/q-process";
import { startQ } from "./support/chaosQ";
import { Ledger } from "./support/ledger";
import { SCALE } from "./support/scale";
import { recordFigure } from "./support/figures";
import { account, errorLines, firstAfter, killProducers, rabbitCounts, startProducer, times, until } from "./support/servers";

let server: RabbitServer;

beforeAll(async () => {
  server = await RabbitServer.start();
}, 90_000);

afterAll(async () => {
  killProducers();
  await killAllQ();
  await server?.destroy();
}, 60_000);

/** Client connections with the name each gave itself (`connection_name`: q-<pid> (producer|consumer)). */
async function connections(): Promise<{ pid: string; name: string }[]> {
  const out = await server.ctl(["list_connections", "pid", "client_properties", "--quiet", "--no-table-headers"]);
  return out.split("\n").flatMap((line) => {
    const m = /^\s*(<[^>]+>)\s.*\{"connection_name","([^"]*)"\}/.exec(line);
    return m ? [{ pid: m[1]!, name: m[2]! }] : [];
  });
}

/**
 * About 200 windows of sends, 75 ms apart (15 s or more), so each drop, a few rabbitmqctl
 * calls of a second each, falls mid-run at either scale.
 */
const PACE = { window: SCALE.messages / 200, pauseMs: 75 };

const DROPS = {
  producer: (name: string, producerName: string) => name === producerName,
  workers: (name: string) => name.endsWith("(consumer)"),
  all: () => true,
};

async function run(confirm: boolean, which: readonly (keyof typeof DROPS)[]) {
  const ledger = await Ledger.open();
  try {
    const queue = confirm ? "drops-confirmed" : "drops-default";
    const q = startQ({ broker: "rabbitmq", url: server.url(), queue, processes: 2, threads: 8, env: ledger.env });
    await waitReady(q, 2, 30_000);
    const producer = startProducer({ broker: "rabbitmq", url: server.url(), queue, count: SCALE.messages, confirm, ...PACE, env: ledger.env });
    const producerName = `q-${producer.proc.pid} (producer)`;
    await until("the producer's connection", async () => (await connections()).some((c) => c.name === producerName), 30_000);

    const drops = which.map((what) => ({ what, pick: (name: string) => DROPS[what](name, producerName) }));
    const closed: Record<string, { connections: number; closingMs: number; producerMs?: number; consumerMs?: number }> = {};
    for (const [n, drop] of drops.entries()) {
      // The last drop well before the end: its rabbitmqctl calls take seconds.
      await until(`${n + 1}/${drops.length + 2} of the run`, () => producer.resolved.size >= (SCALE.messages * (n + 1)) / (drops.length + 2), 60_000);
      const targets = (await connections()).filter((c) => drop.pick(c.name));
      const at = Date.now();
      expect(producer.resolved.size).toBeLessThan(SCALE.messages); // mid-run
      for (const c of targets) await server.ctl(["close_connection", c.pid, `the reliability suite drops ${drop.what}`]);
      // Recovered: a send resolved and a message processed after the last close (each
      // rabbitmqctl call takes about a second).
      const done = Date.now();
      expect(producer.resolved.size + producer.rejected.length).toBeLessThan(SCALE.messages); // still sending
      await until(`a send to resolve after dropping ${drop.what}`, () => firstAfter(producer.resolved.values(), done) !== undefined, 30_000);
      await until(`a message processed after dropping ${drop.what}`, async () => firstAfter(times(await ledger.entries()), done) !== undefined, 30_000);
      const entries = await ledger.entries();
      closed[drop.what] = {
        connections: targets.length,
        closingMs: done - at,
        producerMs: firstAfter(producer.resolved.values(), done),
        consumerMs: firstAfter(times(entries), done),
      };
    }

    await producer.done(120_000);
    if (confirm) await until("every resolved send to be processed", async () => account(await ledger.entries(), producer.resolved).lost.length === 0, 60_000);
    await until("the queue to empty (0 ready, 0 unacked)", async () => {
      const c = await rabbitCounts(server, queue);
      return c.ready + c.unacked === 0;
    }, 30_000);
    const result = account(await ledger.entries(), producer.resolved);
    recordFigure(`rabbitmq.drops.${confirm ? "confirmDelivery" : "default"}`, {
      messages: SCALE.messages,
      closed,
      ...result,
      lost: result.lost.length,
      rejected: producer.rejected.length,
      qErrorLines: errorLines(q).length,
    });
    return { q, producer, result, closed, counts: await rabbitCounts(server, queue) };
  } finally {
    await killAllQ();
    await ledger.close();
  }
}

function expectRecovered(outcome: Awaited<ReturnType<typeof run>>): void {
  const { q, producer, result, closed, counts } = outcome;
  // One connection in the producer, one per worker process.
  if (closed.producer) expect(closed.producer.connections).toBe(1);
  if (closed.workers) expect(closed.workers.connections).toBe(2);
  expect(closed.all!.connections).toBe(3);
  expect(producer.rejected.filter((r) => r.error.startsWith("untyped"))).toEqual([]);
  expect(result.resolved + producer.rejected.length).toBe(SCALE.messages);
  expect(counts).toEqual({ ready: 0, unacked: 0 });
  expect(q.matching(READY)).toHaveLength(2); // no worker process was restarted
  // A lost consumer connection is said at CRITICAL (as Dramatiq); nothing at ERROR level.
  expect(q.matching(/\[ERROR\]/)).toEqual([]);
  expect(errorLines(q).filter((l) => !/Consumer encountered a connection error/.test(l))).toEqual([]); // a failure shows the lines
}

test("with publisher confirms: close_connection of the producer, of the workers and of all mid-run loses no resolved send, leaves 0 ready and 0 unacked, no ERROR line", async () => {
  const outcome = await run(true, ["producer", "workers", "all"]);
  expect(outcome.result.lost).toEqual([]);
  expectRecovered(outcome);
}, 200_000);

test("without publisher confirms (the default): close_connection of all mid-run leaves 0 ready and 0 unacked and no ERROR line; the resolved sends lost are counted", async () => {
  expectRecovered(await run(false, ["all"]));
}, 200_000);
