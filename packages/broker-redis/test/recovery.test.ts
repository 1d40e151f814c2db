/**
 * Crash recovery across processes: a worker killed with SIGKILL leaves its in-flight
 * messages in its ack set; a live worker redelivers them once the dead one's heartbeat
 * is older than heartbeatTimeout (checked every maintenanceInterval). And a live worker
 * whose slots are all busy keeps its heartbeat fresh, so nothing is stolen from it.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { CurrentMessage, type Message, actor } from "@q/core";
import { keysOf, useHarness } from "./harness";
import { waitFor } from "@q/test-support";
import { REDIS_URL, freshNamespace } from "@q/test-support/redis";

jest.setTimeout(20_000);

const h = useHarness();
const FIXTURE = path.join(__dirname, "fixtures", "slowWorker.js");
const PACKAGE_DIR = path.resolve(__dirname, "..");

interface ChildEvent {
  event: "ready" | "started" | "finished";
  brokerId?: string;
  id?: string;
}

/** A worker process running test/fixtures/slowWorker.js; its stdout events are collected. */
class ChildWorker {
  readonly events: ChildEvent[] = [];
  readonly exited: Promise<void>;
  private stderr = "";
  private readonly child: ChildProcess;

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [FIXTURE], { env: { ...process.env, REDIS_URL, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let buffered = "";
    this.child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) if (line.trim()) this.events.push(JSON.parse(line) as ChildEvent);
    });
    this.child.stderr!.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once("exit", () => resolve()));
  }

  get pid(): number {
    return this.child.pid!;
  }

  ids(event: "started" | "finished"): string[] {
    return this.events.filter((e) => e.event === event).map((e) => e.id!);
  }

  async ready(timeout = 10_000): Promise<string> {
    const ready = await waitFor(`the worker process to start (stderr: ${this.stderr || "empty"})`, () => this.events.find((e) => e.event === "ready"), { timeout });
    return ready.brokerId!;
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exited;
  }
}

function spawnWorker(env: Record<string, string>): ChildWorker {
  const child = new ChildWorker(env);
  h.defer(() => child.kill());
  return child;
}

beforeAll(() => {
  for (const pkg of ["@q/core", "@q/broker-redis"]) {
    let resolved: string | undefined;
    try {
      resolved = require.resolve(pkg, { paths: [PACKAGE_DIR] });
    } catch {
      resolved = undefined;
    }
    if (!resolved || !existsSync(resolved)) {
      throw new Error(`${pkg} is not built (the recovery fixture runs dist): run npx tsc -b in packages/core and packages/broker-redis.`);
    }
  }
});

describe("recovery of a killed worker", () => {
  it("a second worker redelivers every in-flight message of a SIGKILLed worker within heartbeatTimeout + 1 s", async () => {
    const namespace = freshNamespace();
    const k = keysOf(namespace, "rec");
    const producer = h.broker({ namespace });
    const slow = actor(async function slow() {}, { broker: producer, queueName: "rec" });
    const sent: Message[] = [];
    for (let n = 0; n < 6; n++) sent.push(await slow.send());

    const child = spawnWorker({ Q_NAMESPACE: namespace, Q_QUEUE: "rec", Q_HEARTBEAT_TIMEOUT: "2000", Q_CONCURRENCY: "2" });
    const childId = await child.ready();
    // Concurrency 2, prefetch 4: two running, two waiting, all four in its ack set.
    await waitFor("the killed-to-be worker to hold four messages", async () => child.ids("started").length === 2 && (await h.redis.scard(k.acks(childId))) === 4);
    const inFlight = (await h.redis.smembers(k.acks(childId))).sort();

    // The survivor: same actor name, records when each redelivery starts.
    const broker = h.broker({ namespace, heartbeatTimeout: 2000 });
    const runs: { id: string; at: number }[] = [];
    actor(
      function slow() {
        runs.push({ id: CurrentMessage.getCurrentMessage()!.options.redis_message_id as string, at: Date.now() });
      },
      { broker, queueName: "rec" },
    );
    await h.worker(broker);
    await waitFor("the survivor to run the two messages nobody held", () => runs.length === 2);
    await sleep(300);
    expect(runs).toHaveLength(2); // the live worker's messages are left alone

    await child.kill();
    const killedAt = Date.now();
    await waitFor("the in-flight messages to be redelivered", () => runs.length === 6, { timeout: 8000 });

    const redelivered = runs.filter((r) => inFlight.includes(r.id));
    expect(redelivered.map((r) => r.id).sort()).toEqual(inFlight);
    const took = Math.max(...redelivered.map((r) => r.at)) - killedAt;
    if (process.env.Q_TEST_TIMINGS) console.info(`SIGKILL redelivery took ${took} ms`);
    expect(took).toBeLessThanOrEqual(3500);
    expect(new Set(runs.map((r) => r.id)).size).toBe(6); // each message ran once here
    expect(runs.map((r) => r.id).sort()).toEqual(sent.map((m) => m.options.redis_message_id as string).sort());
    await broker.join("rec", { timeout: 5000 });
    expect(await h.redis.exists(k.acks(childId), k.queue, k.msgs)).toBe(0);
  });

  it("a live worker whose slots are all busy for longer than heartbeatTimeout keeps its heartbeat fresh and its messages are not stolen", async () => {
    const namespace = freshNamespace();
    const k = keysOf(namespace, "rec");
    const producer = h.broker({ namespace });
    const slow = actor(async function slow() {}, { broker: producer, queueName: "rec" });
    const first = [await slow.send(), await slow.send()].map((m) => m.options.redis_message_id as string);

    const child = spawnWorker({ Q_NAMESPACE: namespace, Q_QUEUE: "rec", Q_HEARTBEAT_TIMEOUT: "1500", Q_CONCURRENCY: "2", Q_PREFETCH: "2", Q_HOLD_MS: "4000",
      // Polls so rarely that only its maintenance timer (every 1000 ms) refreshes the heartbeat.
      Q_TIMEOUT: "10000",
    });
    const childId = await child.ready();
    await waitFor("the busy worker to hold both messages", async () => child.ids("started").length === 2 && (await h.redis.scard(k.acks(childId))) === 2);

    const broker = h.broker({ namespace, heartbeatTimeout: 1500 });
    const runs: string[] = [];
    actor(
      function slow() {
        runs.push(CurrentMessage.getCurrentMessage()!.options.redis_message_id as string);
      },
      { broker, queueName: "rec" },
    );
    await h.worker(broker);
    const later = [await slow.send(), await slow.send()].map((m) => m.options.redis_message_id as string);

    // Busy for 4 s; watch its heartbeat while the other worker runs maintenance.
    let oldest = 0;
    const giveUp = Date.now() + 8000;
    while (child.ids("finished").length < 2 && Date.now() < giveUp) {
      const beat = Number(await h.redis.zscore(k.heartbeats, childId));
      oldest = Math.max(oldest, Date.now() - beat);
      await sleep(100);
    }
    await sleep(300);

    if (process.env.Q_TEST_TIMINGS) console.info(`oldest heartbeat of the busy worker: ${oldest} ms`);
    expect(oldest).toBeLessThan(1500);
    expect(child.ids("started").sort()).toEqual([...first].sort());
    expect(child.ids("finished").sort()).toEqual([...first].sort());
    expect(runs.sort()).toEqual([...later].sort()); // the busy worker's two never ran here
    await broker.join("rec", { timeout: 5000 });
    expect(await h.redis.exists(k.acks(childId), k.queue, k.msgs)).toBe(0);
  });
});
