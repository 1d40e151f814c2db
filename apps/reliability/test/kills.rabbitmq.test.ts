import { RabbitServer } from "@q/test-support/rabbit-server";
import { killAllQ } from "@q/test-support/q-process";
import { recordFigure } from "./support/figures";
import { killRun } from "./support/killRun";
import { FULL, SCALE } from "./support/scale";

// SIGKILLed worker processes on RabbitMQ: the kernel closes the dead process's socket, the
// node sees the connection close and requeues the channel's unacked deliveries at once.
const PROCESSES = 2;
const THREADS = 8;
/** The worker's default prefetch (2 × threads, basic.qos per channel): the most one process holds unacked. */
const PREFETCH = 2 * THREADS;

let server: RabbitServer;
beforeAll(async () => {
  server = await RabbitServer.start();
}, 90_000);
afterAll(async () => {
  await killAllQ();
  await server?.destroy();
}, 90_000);

test(`SIGKILLed worker processes and a SIGKILLed supervisor group lose none of ${SCALE.messages} messages on RabbitMQ, redelivered on connection close`, async () => {
  const r = await killRun({
    broker: "rabbitmq",
    url: server.url(),
    queue: `kills-${Date.now()}`,
    messages: SCALE.messages,
    kills: SCALE.kills,
    processes: PROCESSES,
    threads: THREADS,
    workMs: 50,
    redeliveryTimeout: 20_000,
  });
  recordFigure("rabbitmq.sigkill", {
    messages: SCALE.messages,
    kills: SCALE.kills,
    groupKills: 1,
    processes: PROCESSES,
    threads: THREADS,
    prefetch: PREFETCH,
    duplicates: r.summary.duplicates,
    inFlightAtKills: r.redeliveries.map((d) => d.inFlight),
    redeliveryFirstMs: r.redeliveries.map((d) => d.firstMs),
    redeliveryAllMs: r.redeliveries.map((d) => d.allMs),
    wallMs: r.wallMs,
  });
  process.stderr.write(`${JSON.stringify({ killsAtMs: r.killsAtMs })}\n`);
  expect(r.summary.missing).toEqual([]);
  // Only a message a killed process finished but had not acked runs twice: at most what it
  // held unacked (its prefetch) per killed process.
  expect(r.summary.duplicates).toBeLessThanOrEqual((SCALE.kills + PROCESSES) * PREFETCH);
  expect(r.unexplainedDuplicates).toEqual([]);
  expect(r.redeliveries.filter((d) => d.inFlight > 0).length).toBe(SCALE.kills + 1);
}, FULL ? 600_000 : 120_000);
