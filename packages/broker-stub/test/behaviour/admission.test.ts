/**
 * The worker's admission step (`Middleware.admitMessage`): a message held back waits
 * outside the concurrency slots, runs once admitted, gives its admission back once, and
 * goes back to the broker unstarted when the worker stops while it waits.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type AdmissionRelease, type Broker, type MessageProxy, Middleware, SkipMessage, actor } from "@q/core";
import { capturingBroker, deferred, newBroker, startWorker, stopStartedWorkers } from "./harness";

async function waitFor(what: string, probe: () => boolean, timeout = 5_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

afterEach(stopStartedWorkers);

/** Holds back the messages of `actorName` until `open()`; records what happens. */
class Gate extends Middleware {
  readonly events: string[] = [];
  readonly signals: AbortSignal[] = [];
  private gate = deferred();
  constructor(
    private readonly actorName: string,
    private readonly outcome: () => AdmissionRelease | Error | undefined = () => undefined,
  ) {
    super();
  }
  open(): void {
    this.gate.resolve();
  }
  override admitMessage(_broker: Broker, message: MessageProxy, signal: AbortSignal): Promise<AdmissionRelease | undefined> | undefined {
    if (message.actorName !== this.actorName) return undefined;
    this.events.push(`wait ${String(message.args[0])}`);
    this.signals.push(signal);
    const aborted = new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    return Promise.race([this.gate.promise, aborted]).then(() => {
      this.events.push(signal.aborted ? `aborted ${String(message.args[0])}` : `admit ${String(message.args[0])}`);
      const outcome = this.outcome();
      if (outcome instanceof Error) throw outcome;
      if (!outcome) return undefined;
      const n = String(message.args[0]);
      return () => void this.events.push(`release ${n}`);
    });
  }
  override afterAck(_broker: Broker, message: MessageProxy): void {
    if (message.actorName === this.actorName) this.events.push(`ack ${String(message.args[0])}`);
  }
}

describe("admission (Middleware.admitMessage)", () => {
  test("a held-back message takes no concurrency slot: other actors' messages run meanwhile", async () => {
    const broker = newBroker();
    const gate = new Gate("slow", () => () => undefined);
    broker.addMiddleware(gate);
    const ran: string[] = [];
    // Its own queue: held-back messages count against their queue's prefetch (2 here).
    const slow = actor((n: number) => void ran.push(`slow ${n}`), { broker, actorName: "slow", queueName: "slow" });
    const fast = actor((n: number) => void ran.push(`fast ${n}`), { broker, actorName: "fast" });
    await startWorker(broker, { concurrency: 1 });
    await slow.send(1);
    await slow.send(2);
    for (let i = 0; i < 5; i++) await fast.send(i);
    await waitFor("the fast messages", () => ran.length === 5);
    expect(ran).toEqual(["fast 0", "fast 1", "fast 2", "fast 3", "fast 4"]);
    expect(gate.events).toEqual(["wait 1", "wait 2"]);
    gate.open();
    await broker.join(slow.queueName, { timeout: 5_000 });
    expect(ran.slice(5).sort()).toEqual(["slow 1", "slow 2"]);
  });

  test("a shared queue whose whole prefetch waits for admission is named in one warning", async () => {
    const { broker, find } = capturingBroker("warn");
    const gate = new Gate("slow");
    broker.addMiddleware(gate);
    const slow = actor((_n: number) => undefined, { broker, actorName: "slow" });
    actor(() => undefined, { broker, actorName: "neighbour" }); // shares the queue "default"
    await startWorker(broker, { concurrency: 1, prefetch: 2 });
    for (let i = 0; i < 4; i++) await slow.send(i);
    await waitFor("two admissions", () => gate.events.length === 2);
    await sleep(50);
    expect(gate.events).toEqual(["wait 0", "wait 1"]); // the prefetch bounds what waits
    expect(find(40, "are waiting for admission")).toHaveLength(1);
    expect(find(40, "are waiting for admission")[0]!.msg).toMatch(/^All 2 prefetched messages of queue default are waiting/);
    gate.open();
    await broker.join("default", { timeout: 5_000 });
    expect(gate.events.filter((e) => e.startsWith("wait")).sort()).toEqual(["wait 0", "wait 1", "wait 2", "wait 3"]);
  });

  test("the release runs once per run, after the actor and before the ack, also when the actor throws", async () => {
    const broker = newBroker();
    const gate = new Gate("work", () => () => undefined);
    broker.addMiddleware(gate);
    const work = actor(
      (n: number) => {
        gate.events.push(`run ${n}`);
        if (n === 2) throw new Error("fails on purpose");
      },
      { broker, actorName: "work", maxRetries: 0 },
    );
    await startWorker(broker);
    gate.open();
    await work.send(1);
    await broker.join(work.queueName, { timeout: 5_000 });
    await work.send(2);
    await broker.join(work.queueName, { timeout: 5_000, failFast: false });
    expect(gate.events).toEqual(["wait 1", "admit 1", "run 1", "release 1", "ack 1", "wait 2", "admit 2", "run 2", "release 2"]);
    expect(broker.deadLetters.map((m) => m.args[0])).toEqual([2]);
  });

  test("join waits for held-back messages", async () => {
    const broker = newBroker();
    const gate = new Gate("work");
    broker.addMiddleware(gate);
    const work = actor((_n: number) => undefined, { broker, actorName: "work" });
    const worker = await startWorker(broker);
    await work.send(1);
    await waitFor("the admission", () => gate.events.length === 1);
    let joined = false;
    const joining = worker.join().then(() => (joined = true));
    await sleep(50);
    expect(joined).toBe(false);
    gate.open();
    await joining;
    expect(gate.events).toEqual(["wait 1", "admit 1", "ack 1"]);
  });

  test("a worker stopping while messages wait aborts their admission and puts them back unstarted; another worker runs them once", async () => {
    const broker = newBroker();
    const gate = new Gate("work", () => () => undefined);
    broker.addMiddleware(gate);
    const ran: number[] = [];
    const work = actor((n: number) => void ran.push(n), { broker, actorName: "work" });
    const first = await startWorker(broker);
    await work.send(1);
    await work.send(2);
    await waitFor("both admissions", () => gate.events.length === 2);
    await first.stop({ timeout: 1_000 });
    expect(gate.signals.map((s) => s.aborted)).toEqual([true, true]);
    // Aborted admissions resolved with a release: it ran at once, the messages did not.
    expect(gate.events.sort()).toEqual(["aborted 1", "aborted 2", "release 1", "release 2", "wait 1", "wait 2"]);
    expect(ran).toEqual([]);

    // A second worker on the same broker (the stub's queues live in the broker).
    gate.events.length = 0;
    gate.open();
    await startWorker(broker);
    await broker.join(work.queueName, { timeout: 5_000 });
    expect(ran.sort()).toEqual([1, 2]);
    expect(gate.events.filter((e) => e.startsWith("release")).sort()).toEqual(["release 1", "release 2"]);
  });

  test("an admission that throws SkipMessage after failing the message dead-letters it without running it", async () => {
    const broker = newBroker();
    broker.addMiddleware(
      new (class extends Middleware {
        override admitMessage(_b: Broker, message: MessageProxy): Promise<undefined> {
          message.fail();
          return Promise.reject(new SkipMessage("too old to wait for"));
        }
      })(),
    );
    const ran: number[] = [];
    const work = actor((n: number) => void ran.push(n), { broker, actorName: "work" });
    await startWorker(broker);
    await work.send(7);
    await broker.join(work.queueName, { timeout: 5_000, failFast: false });
    expect(ran).toEqual([]);
    expect(broker.deadLetters.map((m) => m.args[0])).toEqual([7]);
  });

  test("an admission that fails with another error fails the attempt, which is retried", async () => {
    const broker = newBroker();
    let calls = 0;
    broker.addMiddleware(
      new (class extends Middleware {
        override admitMessage(): Promise<undefined> {
          return ++calls === 1 ? Promise.reject(new Error("backend down")) : Promise.resolve(undefined);
        }
      })(),
    );
    const ran: number[] = [];
    const work = actor((n: number) => void ran.push(n), { broker, actorName: "work", minBackoff: 10, maxBackoff: 10 });
    await startWorker(broker);
    await work.send(3);
    await waitFor("the retry", () => ran.length === 1);
    expect(calls).toBe(2);
    expect(ran).toEqual([3]);
  });
});
