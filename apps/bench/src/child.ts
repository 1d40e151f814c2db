/**
 * A benchmark child process: runs one task for one library (see `Task` in ./protocol)
 * and talks to the harness over IPC. Protocol: init → ready, go → (started) → result,
 * stop → closed, then exit. `clock` may be asked at any time between measurements. A
 * redelivery worker also reports each job's start and completion as `job` messages.
 *
 * Started by the harness with `child_process.fork`; not meant to be run by hand.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { adapterFor } from "./adapters";
import type { ProducerHandle, WorkerHandle } from "./adapters/Adapter";
import { monotonicUs, now } from "./clock";
import type { FromChild, Task, ToChild } from "./protocol";

/** How long an idle latency worker waits after starting before it says it is ready. */
const SETTLE_MS = 300;

interface Runner {
  go(): Promise<void>;
  close(): Promise<void>;
}

function send(message: FromChild): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error("not started with an IPC channel"));
    process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
  });
}

function fail(error: unknown): void {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  void send({ type: "error", message })
    .catch(() => undefined)
    .finally(() => process.exit(1));
}

async function prepare(task: Task): Promise<Runner> {
  const adapter = adapterFor(task.lib);
  switch (task.role) {
    case "bulk-producer": {
      const producer = await adapter.producer(task.target);
      return {
        async go() {
          const cpu0 = process.cpuUsage();
          const mono0 = monotonicUs();
          const t0 = now();
          await producer.enqueueBulk(task.n);
          const elapsedMs = now() - t0;
          const window: [number, number] = [mono0, monotonicUs()];
          const cpuMs = cpuSince(cpu0);
          await send({ type: "result", result: { elapsedMs, window, cpuMs, waiting: await producer.waiting() } });
        },
        close: () => producer.close(),
      };
    }
    case "latency-producer": {
      const producer: ProducerHandle = await adapter.producer(task.target);
      return {
        async go() {
          const cpu0 = process.cpuUsage();
          const sendStart = new Array<number>(task.n);
          for (let i = 0; i < task.n; i++) {
            sendStart[i] = now();
            await producer.send(i);
            await sleep(task.gapMs);
          }
          await send({ type: "result", result: { cpuMs: cpuSince(cpu0), sendStart } });
        },
        close: () => producer.close(),
      };
    }
    case "drain-worker":
    case "latency-worker": {
      const latency = task.role === "latency-worker";
      const actorStart = latency ? new Array<number>(task.n).fill(Number.NaN) : [];
      let processed = 0;
      let completed = 0;
      let failed = 0;
      let finishedAt = 0;
      let cpu0 = process.cpuUsage();
      let cpuMs = 0;
      let monoEnd = 0;
      let rssEndMb = 0;
      const delayMs = task.role === "drain-worker" ? task.delayMs : 0;
      let finish!: () => void;
      let abort!: (error: unknown) => void;
      const done = new Promise<void>((resolve, reject) => {
        finish = resolve;
        abort = reject;
      });
      const worker: WorkerHandle = await adapter.worker(task.target, task.concurrency, {
        onStart(i) {
          processed++;
          if (latency) actorStart[i] = now();
          // The I/O-bound drain: a job that waits on something (a timer standing in for a network call).
          if (delayMs > 0) return sleep(delayMs);
        },
        onComplete() {
          if (++completed === task.n) {
            finishedAt = now();
            monoEnd = monotonicUs();
            cpuMs = cpuSince(cpu0);
            rssEndMb = rssMb();
            finish();
          }
        },
        onFail(error) {
          failed++;
          abort(error);
        },
      });
      return {
        async go() {
          if (latency) {
            await worker.start();
            await sleep(SETTLE_MS);
            await send({ type: "started" });
            cpu0 = process.cpuUsage();
            const mono0 = monotonicUs();
            await done;
            const remaining = await worker.remaining();
            await send({ type: "result", result: { window: [mono0, monoEnd], cpuMs, actorStart, completed, failed, remaining } });
          } else {
            const rssIdleMb = rssMb();
            cpu0 = process.cpuUsage();
            const mono0 = monotonicUs();
            const t0 = now();
            await worker.start();
            await done;
            const elapsedMs = finishedAt - t0;
            const remaining = await worker.remaining();
            await send({ type: "result", result: { elapsedMs, window: [mono0, monoEnd], cpuMs, processed, completed, failed, remaining, rssIdleMb, rssEndMb } });
          }
        },
        close: () => worker.close(),
      };
    }
    case "redelivery-worker": {
      const starts: number[] = [];
      let completed = 0;
      let failed = 0;
      let finish!: () => void;
      let abort!: (error: unknown) => void;
      const done = new Promise<void>((resolve, reject) => {
        finish = resolve;
        abort = reject;
      });
      const worker = await adapter.worker(
        task.target,
        task.concurrency,
        {
          onStart(i) {
            starts.push(i);
            // Not awaited: the job runs on while the harness hears of it (and may kill us).
            void send({ type: "job", phase: "start", i, t: now() });
            return sleep(task.jobMs);
          },
          onComplete(i) {
            void send({ type: "job", phase: "done", i, t: now() });
            if (++completed === task.n) finish();
          },
          onFail(error) {
            failed++;
            abort(error);
          },
        },
        { recoveryMs: task.recoveryMs, recoverStalled: true },
      );
      return {
        async go() {
          await worker.start();
          await send({ type: "started", t: now() });
          await done;
          // A job run once too often would start within this time (its ack came back already).
          await sleep(task.graceMs);
          const remaining = await worker.remaining();
          await send({ type: "result", result: { starts, completed, failed, remaining } });
        },
        close: () => worker.close(),
      };
    }
  }
}

function rssMb(): number {
  return process.memoryUsage.rss() / 2 ** 20;
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

let runner: Runner | undefined;

async function handle(message: ToChild): Promise<void> {
  switch (message.type) {
    case "init":
      runner = await prepare(message.task);
      await send({ type: "ready" });
      return;
    case "go":
      if (!runner) throw new Error("go before init");
      await runner.go();
      return;
    case "clock":
      await send({ type: "clock", seq: message.seq, t: now() });
      return;
    case "stop":
      await runner?.close();
      await send({ type: "closed" });
      // Libraries may keep timers or sockets around; the harness is done with us.
      process.exit(0);
  }
}

process.on("message", (message: ToChild) => void handle(message).catch(fail));
process.on("uncaughtException", fail);
process.on("unhandledRejection", fail);
// The harness went away: do not linger.
process.on("disconnect", () => process.exit(2));
