/**
 * A RabbitMQ restart in the middle of a run, both kinds: `rabbitmqctl stop_app`/`start_app`
 * (the node's application stops, connections drop, the VM stays) and a SIGKILL of the node's
 * VM followed by a fresh start, while a producer process enqueues (publisher confirms: a
 * resolved send means RabbitMQ has the persistent message) and a real `q` consumes: every
 * message whose send resolved is processed, the producer and the workers carry on by
 * themselves, and how long each was stuck is measured.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { RabbitServer } from "@q/test-support/rabbit-server";
import { killAllQ, READY, waitReady } from "@q/test-support/q-process";
import { startQ } from "./support/chaosQ";
import { Ledger } from "./support/ledger";
import { SCALE } from "./support/scale";
import { recordFigure } from "./support/figures";
import { account, errorLines, firstAfter, killProducers, rabbitCounts, startProducer, times, until } from "./support/servers";

let server: RabbitServer;
let ledger: Ledger;

beforeAll(async () => {
  server = await RabbitServer.start();
  ledger = await Ledger.open();
}, 90_000);

afterAll(async () => {
  killProducers();
  await killAllQ();
  await ledger?.close();
  await server?.destroy();
}, 60_000);

test("stop_app/start_app and then kill -9 of the node mid-run: every message whose send resolved (confirmed) is processed, producer and q recover by themselves, the queue ends with 0 ready and 0 unacked", async () => {
  const queue = "restarts";
  const q = startQ({ broker: "rabbitmq", url: server.url(), queue, processes: 2, threads: 8, env: ledger.env });
  await waitReady(q, 2, 30_000);
  const producer = startProducer({ broker: "rabbitmq", url: server.url(), queue, count: SCALE.messages, confirm: true, window: 10, pauseMs: 20, env: ledger.env });

  const faults = [
    {
      name: "stop_app",
      at: 1 / 3,
      run: async () => {
        await server.ctl(["stop_app"], 60_000);
        await sleep(1000);
        await server.ctl(["start_app"], 60_000);
      },
    },
    {
      name: "kill9",
      at: 2 / 3,
      run: async () => {
        await server.kill();
        await sleep(1000);
        await server.start();
      },
    },
  ];
  const outages: { name: string; resolvedBefore: number; downMs: number; back: number }[] = [];
  for (const fault of faults) {
    await until(`${Math.round(fault.at * 100)}% of the sends to resolve`, () => producer.resolved.size >= SCALE.messages * fault.at, 90_000);
    const resolvedBefore = producer.resolved.size;
    const down = Date.now();
    await fault.run();
    const back = Date.now();
    outages.push({ name: fault.name, resolvedBefore, downMs: back - down, back });
    // Both sides recover from this fault before the next one (each is measured on its own).
    await until(`a send to resolve after ${fault.name}`, () => firstAfter(producer.resolved.values(), back) !== undefined, 60_000);
    await until(`a message to be processed after ${fault.name}`, async () => firstAfter(times(await ledger.entries()), back) !== undefined, 60_000);
  }

  await producer.done(120_000);
  await until("every resolved send to be processed", async () => account(await ledger.entries(), producer.resolved).lost.length === 0, 60_000);
  await until("the queue to empty (0 ready, 0 unacked)", async () => {
    const c = await rabbitCounts(server, queue);
    return c.ready + c.unacked === 0;
  }, 30_000);

  const entries = await ledger.entries();
  const result = account(entries, producer.resolved);
  const stuck = outages.map(({ name, back }) => ({
    fault: name,
    producerMs: firstAfter(producer.resolved.values(), back),
    consumerMs: firstAfter(times(entries), back),
  }));
  recordFigure("rabbitmq.restart", {
    messages: SCALE.messages,
    outageMs: Object.fromEntries(outages.map((o) => [o.name, o.downMs])),
    ...result,
    lost: result.lost.length,
    rejected: producer.rejected.length,
    rejectedKinds: [...new Set(producer.rejected.map((r) => `${r.error} written=${r.written}`))],
    stuckAfterBackMs: stuck,
    qErrorLines: errorLines(q).length,
  });

  expect(result.lost).toEqual([]);
  for (const o of outages) expect(o.resolvedBefore).toBeLessThan(SCALE.messages);
  for (const r of producer.rejected) expect(r.error).not.toMatch(/^untyped/);
  for (const s of stuck) {
    expect(s.producerMs).toBeDefined();
    expect(s.consumerMs).toBeDefined();
  }
  expect(q.proc.exitCode).toBeNull();
  expect(q.matching(READY)).toHaveLength(2);
  expect(await rabbitCounts(server, queue)).toEqual({ ready: 0, unacked: 0 });
  // Losing the connection is said at CRITICAL ("Consumer encountered a connection error", as
  // Dramatiq does: the user can look at the broker); nothing at ERROR level.
  expect(q.matching(/\[ERROR\]/)).toEqual([]);
  expect(errorLines(q).filter((l) => !/Consumer encountered a connection error/.test(l))).toEqual([]); // a failure shows the lines
}, 300_000);
