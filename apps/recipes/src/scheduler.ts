/**
 * The cookbook's scheduling recipe (APScheduler's CronTrigger) on croner, made safe to run in
 * several processes at once: every instance ticks, and one of them enqueues.
 */
import type { Actor, Broker, Logger, RateLimiterBackend } from "@q/core";
import { Cron } from "croner";

/** One scheduled job: enqueue `actor` with `args` whenever `cron` fires. */
export interface ScheduledJob {
  /** A croner pattern: 5 fields (minutes), or 6 with seconds first (`"* * * * * *"` every second). */
  cron: string;
  actor: Actor<any, any>;
  /** The message's arguments, or a function of the tick's scheduled time that makes them. */
  args?: readonly unknown[] | ((scheduledFor: Date) => readonly unknown[]);
  /** Names the job in the claim keys; default `<actor name>@<cron>`. Must be the same on every instance. */
  name?: string;
  /** An IANA time zone for the pattern; default the process's. */
  timezone?: string;
}

/** Options of {@link startScheduler}. */
export interface SchedulerOptions {
  /** The jobs to run. Every instance must be given the same jobs. */
  jobs: readonly ScheduledJob[];
  /** Where the instances claim ticks, shared by all of them: a `RedisRateLimiterBackend`. */
  backend: RateLimiterBackend;
  /** Prefix of the claim keys (`<prefix>:<job name>:<ISO time>`); default `q-scheduler`. */
  keyPrefix?: string;
  /**
   * How long a claim is kept, ms; default 10 minutes. It must outlast the clock skew between
   * instances plus how late a tick may fire (a blocked event loop): an instance that ticks
   * after the claim expired would enqueue the tick again.
   */
  claimTtl?: number;
  /** Where enqueue and claim failures are logged; default the first job's broker's logger. */
  logger?: Logger;
  /** Called after this instance enqueued a tick's message (tests and metrics). */
  onEnqueued?: (job: ScheduledJob, scheduledFor: Date, messageId: string) => void;
}

/**
 * Starts croner timers that enqueue each job on its cron schedule, exactly once per tick
 * across every instance running the same jobs against the same `backend`.
 *
 * Each instance, on a tick, computes the tick's *scheduled* time (not the moment its timer
 * fired, which differs per process) and claims the key `<prefix>:<job>:<scheduled time>` with
 * `backend.add` (Redis `SET NX PX`: atomic, one winner). Only the winner enqueues. A lock
 * that is released after the enqueue (a `ConcurrentRateLimiter` slot) would not do: an
 * instance whose timer fires a few ms later would find it free again and enqueue twice. The
 * claim is never released; it expires after `claimTtl`.
 *
 * Failure modes, chosen over duplicates: if Redis cannot be reached the tick is skipped (the
 * instance cannot know whether another one claimed it) and logged; if the winner dies between
 * its claim and its enqueue, that tick is lost.
 *
 * Returns a function that stops every timer and waits for ticks in progress.
 *
 * @example
 * const backend = new RedisRateLimiterBackend({ url: process.env.REDIS_URL });
 * const stop = startScheduler({ backend, jobs: [{ cron: "0 * * * * *", actor: printCurrentDate, args: (at) => [at.toISOString()] }] });
 * process.once("SIGTERM", () => void stop().then(() => backend.close()));
 */
export function startScheduler(options: SchedulerOptions): () => Promise<void> {
  const { jobs, backend, keyPrefix = "q-scheduler", claimTtl = 600_000, onEnqueued } = options;
  if (!jobs.length) throw new TypeError("startScheduler needs at least one job.");
  if (!(typeof claimTtl === "number" && Number.isFinite(claimTtl) && claimTtl >= 1000)) throw new TypeError(`claimTtl must be at least 1000 ms, got ${String(claimTtl)}.`);
  const names = jobs.map((job) => job.name ?? `${job.actor.actorName}@${job.cron}`);
  if (new Set(names).size !== names.length) throw new TypeError(`Two scheduled jobs share a name (${names.join(", ")}): give them distinct names.`);
  const broker: Broker = jobs[0]!.actor.broker;
  const log = (options.logger ?? broker.rootLogger).child({ name: "recipes.scheduler" });
  const inFlight = new Set<Promise<void>>();

  // Every pattern is parsed before any timer starts, so a bad one leaves nothing ticking.
  for (const job of jobs) new Cron(job.cron, { timezone: job.timezone, paused: true }).stop();
  const timers = jobs.map((job, i) => {
    const name = names[i]!;
    const cron = new Cron(job.cron, { timezone: job.timezone }, (self: Cron) => {
      // croner calls back with the moment its timer fired, which differs per instance; the
      // tick they must agree on is the scheduled run. croner fires at or just after it (never
      // before) and its runs are whole seconds, so it is the first run after a second ago.
      const scheduledFor = self.nextRun(new Date(Date.now() - 1000));
      if (!scheduledFor) return;
      const tick = fire(job, name, scheduledFor);
      inFlight.add(tick);
      void tick.finally(() => inFlight.delete(tick));
    });
    return cron;
  });

  async function fire(job: ScheduledJob, name: string, scheduledFor: Date): Promise<void> {
    const key = `${keyPrefix}:${name}:${scheduledFor.toISOString()}`;
    let won: boolean;
    try {
      won = await backend.add(key, 1, claimTtl);
    } catch (error) {
      log.error({ err: error }, `Could not claim the ${scheduledFor.toISOString()} tick of ${name}; skipping it.`);
      return;
    }
    if (!won) return; // another instance has it
    try {
      const args = typeof job.args === "function" ? job.args(scheduledFor) : (job.args ?? []);
      const message = await job.actor.send(...args);
      log.debug(`Enqueued ${name} for ${scheduledFor.toISOString()} as ${message.messageId}.`);
      onEnqueued?.(job, scheduledFor, message.messageId);
    } catch (error) {
      log.error({ err: error }, `Claimed the ${scheduledFor.toISOString()} tick of ${name} but could not enqueue it; that tick is lost.`);
    }
  }

  return async function stop() {
    for (const timer of timers) timer.stop();
    await Promise.allSettled([...inFlight]);
  };
}
