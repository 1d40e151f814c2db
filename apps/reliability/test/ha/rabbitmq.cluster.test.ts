/**
 * High availability on RabbitMQ: a 3-node cluster, quorum queues (`queueType: "quorum"`),
 * a producer with publisher confirms and `q` workers, all given the three nodes' URLs.
 * Mid-run the node holding the queue's leader is SIGKILLed (the workers are connected
 * there, the producer to another node), it is started again, then the node the workers
 * have moved to is SIGKILLed (the new leader's or not, as the election went). Every confirmed send must be processed, duplicates stay within what the
 * kills can explain, the producer and the workers carry on by themselves on the surviving
 * nodes (no process restarts), and how long each was stuck is recorded
 * (`ha.rabbitmq.leaderKill`).
 */
import { RabbitCluster } from "@q/test-support/rabbit-cluster";
import type { RabbitServer } from "@q/test-support/rabbit-server";
import { killAllQ, waitReady } from "@q/test-support/q-process";
import { startQ } from "../support/chaosQ";
import { recordFigure } from "../support/figures";
import { Ledger, type LedgerEntry } from "../support/ledger";
import { FULL, SCALE } from "../support/scale";
import { account, killProducers, startProducer, until } from "../support/servers";

const PROCESSES = 2;
const THREADS = 8;
/** The worker's default prefetch (2 × threads per consumer): the most one process holds unacked. */
const PREFETCH = 2 * THREADS;
/** Sends in flight at a time; the pause between windows paces the run (~65/s CI, ~450/s full). */
const WINDOW = FULL ? 10 : 5;
const PAUSE_MS = FULL ? 20 : 75;
const WORK_MS = 5;
const RESTARTING = /\[INFO\] Restarting consumer in /;

let cluster: RabbitCluster | undefined;
let ledger: Ledger | undefined;

beforeAll(async () => {
  cluster = await RabbitCluster.start();
  ledger = await Ledger.open();
}, 120_000);

afterAll(async () => {
  killProducers();
  await killAllQ();
  await ledger?.close();
  await cluster?.destroy();
}, 120_000);

interface KillFigures {
  /** When (ms into the run). */
  atMs: number;
  /** Which node was killed and what it held. */
  node: string;
  wasLeader: boolean;
  workersOnIt: number;
  producerOnIt: boolean;
  /** From the kill until `quorum_status` named a new leader (ms; null when the node was not the leader). */
  newLeaderMs: number | null;
  /** From the kill until the producer's next confirmed send (ms; at least the pacing pause between windows). */
  producerStuckMs: number;
  /** From the kill until the next message processed after it (ms; entries in the first 100 ms may be from before the kill). */
  workersStuckMs: number;
  /**
   * Worker consumers that restarted after `restartDelay` (3 s) because their channel closed while
   * they held deliveries ("Restarting consumer in …"); the others re-subscribed at once.
   */
  consumerRestarts: number;
}

test(`kill -9 of the quorum queue's leader node and of the workers' node: every one of ${SCALE.messages} confirmed sends is processed, clients move by themselves`, async () => {
  const c = cluster!;
  const l = ledger!;
  const queue = `ha-${Date.now()}`;
  // Every client gets all three nodes, the workers starting with the second one: the workers
  // declare the queue first, so its leader is on their node (RabbitMQ places it on the
  // declaring client's node), and the producer is on another one.
  const [n0, n1, n2] = c.urls();
  const url = [n0, n1, n2].join(";");
  const workerUrl = [n1, n2, n0].join(";");
  const began = Date.now();
  const q = startQ({
    broker: "rabbitmq",
    url: workerUrl,
    queue,
    processes: PROCESSES,
    threads: THREADS,
    env: { ...l.env, CHAOS_QUEUE_TYPE: "quorum", CHAOS_WORK_MS: String(WORK_MS) },
  });
  await waitReady(q, PROCESSES, 30_000);
  const producer = startProducer({
    broker: "rabbitmq",
    url,
    queue,
    count: SCALE.messages,
    confirm: true,
    window: WINDOW,
    pauseMs: PAUSE_MS,
    env: { ...l.env, CHAOS_QUEUE_TYPE: "quorum" },
  });
  const producerName = `q-${producer.proc.pid} (producer)`;
  const workerPids = new Set<number>();
  const timeout = FULL ? 240_000 : 90_000;

  /** SIGKILLs `node` once the producer has `after` confirmed sends; measures how long everyone was stuck. */
  const kill = async (pick: () => Promise<RabbitServer>, after: number): Promise<KillFigures> => {
    await until(`${after} confirmed sends`, () => producer.resolved.size >= after, timeout);
    const node = await pick();
    const leader = await c.leaderOf(queue);
    const connections = await c.connectionNodes("q-");
    const workersOnIt = connections.filter(([name, n]) => n === node && name.endsWith("(consumer)")).length;
    const producerOnIt = connections.some(([name, n]) => n === node && name === producerName);
    for (const e of await l.entries()) workerPids.add(e.pid);
    const restartsBefore = q.matching(RESTARTING).length;
    const killedAt = Date.now();
    await node.kill();
    const newLeader = await c.leaderOf(queue, 60_000);
    const newLeaderMs = node === leader ? Date.now() - killedAt : null;
    expect(newLeader).not.toBe(node);
    // Both sides must move on by themselves: confirmed sends and processed messages after the kill.
    const firstAfter = (times: Iterable<number>, skip: number) => Math.min(...[...times].filter((at) => at > killedAt + skip));
    const confirmedAgain = () => firstAfter(producer.resolved.values(), 0);
    // A message that was running at the kill may still be written to the ledger just after it.
    const processedAgain = async () => firstAfter((await l.entries()).map((e) => e.at), WORK_MS + 100);
    await until("confirmed sends after the kill", () => Number.isFinite(confirmedAgain()) || producer.resolved.size === SCALE.messages, timeout);
    await until("messages processed after the kill", async () => Number.isFinite(await processedAgain()), timeout);
    return {
      atMs: killedAt - began,
      node: node.node,
      wasLeader: node === leader,
      workersOnIt,
      producerOnIt,
      newLeaderMs,
      producerStuckMs: confirmedAgain() - killedAt,
      workersStuckMs: (await processedAgain()) - killedAt,
      consumerRestarts: q.matching(RESTARTING).length - restartsBefore,
    };
  };

  // On a failure, what the clients logged last says where they were stuck.
  const explain = (error: unknown) => {
    process.stderr.write(`producer (${producer.resolved.size} confirmed):\n${producer.stderr.slice(-20).join("\n")}\nq:\n${q.lines.slice(-20).join("\n")}\n`);
    throw error;
  };
  const first = await kill(() => c.leaderOf(queue), Math.floor(SCALE.messages / 3)).catch(explain);
  // Back to three nodes (a second loss with only two would leave no majority): it rejoins as a follower.
  const killedFirst = c.byName(first.node)!;
  const restartAt = Date.now();
  await killedFirst.start();
  await c.waitForMembers(3);
  const rejoinMs = Date.now() - restartAt;
  const second = await kill(async () => {
    // Where the workers are now (they moved when the first node went).
    const nodes = (await c.connectionNodes("q-")).filter(([name]) => name.endsWith("(consumer)")).map(([, n]) => n);
    expect(nodes.length).toBeGreaterThan(0);
    return nodes[0]!;
  }, Math.floor((2 * SCALE.messages) / 3)).catch(explain);

  await producer.done(timeout).catch(explain);
  const confirmed = producer.resolved;
  // Every confirmed send is processed; then wait until redeliveries have stopped landing.
  await until("every confirmed send processed", async () => account(await l.entries(), confirmed).lost.length === 0, timeout);
  let entries: LedgerEntry[] = await l.entries();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = await l.entries();
    if (now.length === entries.length) break;
    entries = now;
  }
  const wallMs = Date.now() - began;
  const a = account(entries, confirmed);
  const pidsAfter = new Set(entries.filter((e) => e.at > began + second.atMs).map((e) => e.pid));

  recordFigure("ha.rabbitmq.leaderKill", {
    messages: SCALE.messages,
    clusterStartupMs: c.startupMs,
    clusterBootMs: c.bootMs,
    processes: PROCESSES,
    threads: THREADS,
    prefetch: PREFETCH,
    window: WINDOW,
    confirmed: confirmed.size,
    rejected: producer.rejected.length,
    duplicates: a.duplicates,
    unconfirmedProcessed: a.unresolvedProcessed,
    kills: [first, second],
    rejoinMs,
    wallMs,
  });

  expect(producer.rejected).toEqual([]);
  expect(confirmed.size).toBe(SCALE.messages);
  expect(a.lost).toEqual([]);
  // Per kill: what the workers held unacked (their prefetch) and the sends awaiting a confirm (republished).
  expect(a.duplicates).toBeLessThanOrEqual(2 * (PROCESSES * PREFETCH + WINDOW));
  // Nobody was restarted: the same worker processes wrote the ledger before and after, and q still runs.
  expect([...pidsAfter].filter((pid) => !workerPids.has(pid))).toEqual([]);
  expect(q.proc.exitCode).toBeNull();
  expect(first.wasLeader).toBe(true);
}, FULL ? 600_000 : 170_000);
