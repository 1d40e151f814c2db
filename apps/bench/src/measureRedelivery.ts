import { setTimeout as sleep } from "node:timers/promises";
import { Child, type ChildLauncher } from "./childProcess";
import { now } from "./clock";
import { type BulkResult, type JobEvent, LIB_LABEL, type Lib, type RedeliveryWorkerResult, type Target } from "./protocol";

/** Jobs on the queue: the first completes, the second is the one killed, the third waits behind it. */
export const REDELIVERY_JOBS = 3;

/** How long the killed job has been running when the SIGKILL comes (its handler takes `jobMs`). */
const KILL_AFTER_MS = 50;

/** After the fresh worker's last completion, how long it keeps listening for a duplicate. */
const GRACE_MS = 1000;

/** One redelivery measurement. */
export interface RedeliveryRun {
  /** From the SIGKILL to the killed job's handler starting again in the fresh worker (ms). */
  redeliveryMs: number;
  /** From the SIGKILL until the fresh worker's start call resolved (ms): its fork, load and connect, part of redeliveryMs. */
  workerStartedMs: number;
  /** The killed job's index. */
  killedJob: number;
  /** How long the killed job's handler had been running at the kill (ms). */
  inFlightMs: number;
  /** Handler starts of the killed job in both workers; the checks make it exactly 2. */
  killedJobStarts: number;
}

export interface RedeliveryParams {
  lib: Lib;
  target: Target;
  launcher: ChildLauncher;
  /** How long each job's handler takes (ms). */
  jobMs: number;
  /** The library's recovery setting lowered to this (ms); undefined: its default. */
  recoveryMs: number | undefined;
  timeoutMs: number;
}

/**
 * Fills a queue with REDELIVERY_JOBS jobs, starts a worker child (concurrency 1) on it and
 * SIGKILLs it 50 ms into its second job, once the child itself has said that job started
 * and the first completed; then forks a fresh worker child and times from the kill to the
 * killed job's handler starting again there. Throws unless every job completed exactly
 * once, the killed one started exactly twice (once per worker), no job failed and nothing
 * is left in Redis. Children go into `started` for the caller to stop.
 */
export async function measureRedelivery(p: RedeliveryParams, started: Child[]): Promise<RedeliveryRun> {
  const { lib, target, launcher, timeoutMs } = p;
  const what = `${LIB_LABEL[lib]} redelivery`;
  const producer = await Child.start({ role: "bulk-producer", lib, target, n: REDELIVERY_JOBS }, launcher, { label: `${lib} bulk producer`, timeoutMs });
  started.push(producer);
  producer.send({ type: "go" });
  const filled = (await producer.next("result", timeoutMs)).result as BulkResult;
  if (filled.waiting !== REDELIVERY_JOBS) throw new Error(`${what}: ${filled.waiting} jobs waiting after enqueueing ${REDELIVERY_JOBS}`);
  await producer.stop();

  const task = { role: "redelivery-worker", lib, target, concurrency: 1, jobMs: p.jobMs, graceMs: GRACE_MS, recoveryMs: p.recoveryMs } as const;
  const doomed = await Child.start({ ...task, n: REDELIVERY_JOBS }, launcher, { label: `${lib} worker to be killed`, timeoutMs });
  started.push(doomed);
  doomed.send({ type: "go" });
  await doomed.next("started", timeoutMs);
  // A job in flight by the child's own word (started, not done), after at least one completed.
  const victim = await doomed.waitForJobs(
    (events) => {
      if (!events.some((e) => e.phase === "done")) return undefined;
      return events.find((e) => e.phase === "start" && !events.some((d) => d.phase === "done" && d.i === e.i));
    },
    timeoutMs,
    "job in flight after a completed one",
  );
  await sleep(Math.max(0, victim.t + KILL_AFTER_MS - now()));
  if (doneIn(doomed.jobs).has(victim.i)) throw new Error(`${what}: job ${victim.i} completed before the kill (jobs must take longer than ${KILL_AFTER_MS} ms)`);
  const killedAt = now();
  await doomed.killAndWait();
  const doneBefore = doneIn(doomed.jobs);
  if (doneBefore.has(victim.i)) throw new Error(`${what}: job ${victim.i} completed before the kill took effect`);

  const fresh = await Child.start({ ...task, n: REDELIVERY_JOBS - doneBefore.size }, launcher, { label: `${lib} fresh worker`, timeoutMs });
  started.push(fresh);
  fresh.send({ type: "go" });
  const workerStarted = (await fresh.next("started", timeoutMs)).t!;
  const again = await fresh.waitForJobs((events) => events.find((e) => e.phase === "start" && e.i === victim.i), timeoutMs, `restart of killed job ${victim.i}`);
  const result = (await fresh.next("result", timeoutMs)).result as RedeliveryWorkerResult;

  // Exact counts: every job started once, the killed one twice (once per worker), and completed once.
  const starts = [...startsIn(doomed.jobs), ...result.starts];
  if (result.failed !== 0) throw new Error(`${what}: ${result.failed} job(s) failed`);
  if (result.remaining !== 0) throw new Error(`${what}: ${result.remaining} job record(s) left in Redis`);
  for (let i = 0; i < REDELIVERY_JOBS; i++) {
    const count = starts.filter((s) => s === i).length;
    const expected = i === victim.i ? 2 : 1;
    if (count !== expected) throw new Error(`${what}: job ${i} started ${count} time(s), expected ${expected} (starts: ${starts.join(",")})`);
  }
  const doneAfter = [...doneIn(fresh.jobs)];
  if (doneAfter.some((i) => doneBefore.has(i)) || doneBefore.size + doneAfter.length !== REDELIVERY_JOBS || result.completed !== doneAfter.length) {
    throw new Error(`${what}: completions before the kill [${[...doneBefore].join(",")}], after [${doneAfter.join(",")}]; expected each of ${REDELIVERY_JOBS} jobs once`);
  }
  return {
    redeliveryMs: again.t - killedAt,
    workerStartedMs: workerStarted - killedAt,
    killedJob: victim.i,
    inFlightMs: killedAt - victim.t,
    killedJobStarts: starts.filter((s) => s === victim.i).length,
  };
}

function doneIn(events: readonly JobEvent[]): Set<number> {
  return new Set(events.filter((e) => e.phase === "done").map((e) => e.i));
}

function startsIn(events: readonly JobEvent[]): number[] {
  return events.filter((e) => e.phase === "start").map((e) => e.i);
}
