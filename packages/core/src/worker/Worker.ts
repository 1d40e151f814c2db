import { setTimeout as sleep } from "node:timers/promises";
import type { Actor } from "../actor/Actor";
import { isExpectedError } from "../actor/isExpectedError";
import type { Broker } from "../broker/Broker";
import type { Consumer } from "../broker/Consumer";
import { dqName, qName } from "../broker/queueNames";
import { ActorNotFound } from "../errors/ActorNotFound";
import { ArgumentError } from "../errors/ArgumentError";
import { ConfigurationError } from "../errors/ConfigurationError";
import { describeValue } from "../errors/describeValue";
import { ConnectionError } from "../errors/ConnectionError";
import { isQError } from "../errors/QError";
import { errorTypeName } from "../errors/errorTypeName";
import { RateLimitExceeded } from "../errors/RateLimitExceeded";
import { Retry } from "../errors/Retry";
import { Shutdown } from "../errors/Shutdown";
import { SkipMessage } from "../errors/SkipMessage";
import type { Logger } from "../logging/Logger";
import type { MessageProxy } from "../message/MessageProxy";
import { CurrentMessage } from "../middleware/CurrentMessage";
import { type AdmissionRelease, Middleware } from "../middleware/Middleware";
import { readOption } from "../options/readOption";
import { ConsumerLoop } from "./ConsumerLoop";
import { PriorityQueue } from "./PriorityQueue";
import { actorArguments } from "./actorArguments";
import { messageContext } from "./messageContext";
import { settleWithin } from "./settleWithin";
import { startingRun } from "./startingRun";

/** How a worker runs. */
export interface WorkerOptions {
  /** Consume only these canonical queues (their delay queues too); default: all declared. */
  queues?: readonly string[];
  /** Messages processed at once (Dramatiq's worker threads); default 8. */
  concurrency?: number;
  /** Most messages outstanding per queue (running + waiting); default min(2 × concurrency, 65535). */
  prefetch?: number;
  /** Most delayed messages parked per delay queue; default min(1000 × concurrency, 65535). */
  delayPrefetch?: number;
  /** Milliseconds a consumer waits for a message before checking again; default 1000. */
  timeout?: number;
  /** Milliseconds before a failed consumer is restarted; default 3000. */
  restartDelay?: number;
  /** Default: the broker's logger. */
  logger?: Logger;
}

interface WorkItem {
  message: MessageProxy;
  actor: Actor<any, any>;
  consumer: Consumer;
  /** Set once it runs: settles when the message is settled or abandoned. */
  done?: Promise<void>;
  /** Whether it holds one of the `concurrency` slots (from its start until the actor and hooks are done). */
  slot?: boolean;
  /** What its admission took (a rate-limiter slot): given back once, when the run is over. */
  release?: AdmissionRelease;
  /** An admission hook failed: the attempt fails (or, for SkipMessage, is skipped) with it. */
  admissionError?: unknown;
}

/** A message an admission hook holds back; `stop` is aborted when it must go back to the broker. */
interface Waiting {
  item: WorkItem;
  stop: AbortController;
}

/** Upper bound for requeueing and closing consumers once a stop's timeout is spent. */
const CLOSE_GRACE_MS = 5_000;
const ACK_RETRY_FIRST_MS = 250;
const ACK_RETRY_MAX_MS = 5_000;

/**
 * Processes messages: one consumer per declared queue and delay queue, `concurrency`
 * messages at a time, prefetched work ordered by actor priority (lower first) then
 * arrival. A message is acked only after it succeeds, and nacked (dead-lettered) when
 * it fails for good. `stop()` finishes in-flight work within its timeout and puts
 * everything else back on the broker.
 *
 * @example
 * const worker = new Worker(broker, { concurrency: 16 });
 * await worker.start();
 * process.once("SIGTERM", () => worker.stop({ timeout: 30_000 }));
 */
// No `implements ConsumerLoopHost`: the host methods are stripped from the published types
// (internal), where the clause would then fail. `new ConsumerLoop(this, ...)` checks the fit.
export class Worker {
  readonly broker: Broker;
  readonly concurrency: number;
  readonly logger: Logger;
  private readonly rootLogger: Logger;
  private readonly queues: ReadonlySet<string> | undefined;
  private readonly prefetch: number;
  private readonly delayPrefetch: number;
  private readonly timeout: number;
  private readonly restartDelay: number;
  private readonly work = new PriorityQueue<WorkItem>();
  private readonly loops = new Map<string, ConsumerLoop>();
  /** Started and not yet settled: running, or done and being acked / nacked. */
  private readonly inFlight = new Map<MessageProxy, WorkItem>();
  /** How many of `inFlight` hold a concurrency slot (still running their actor and hooks). */
  private busy = 0;
  /** Messages waiting for admission: outside the concurrency, still outstanding on their consumer. */
  private readonly waiting = new Map<MessageProxy, Waiting>();
  private readonly warnedFullOfWaiters = new Set<string>();
  private readonly abandoned = new WeakSet<MessageProxy>();
  private readonly hook = new WorkerMiddleware(this);
  private idleWaiters: (() => void)[] = [];
  private running = false;
  private stopping: Promise<void> | undefined;
  private paused = false;
  private readonly storesResults: () => boolean;

  constructor(broker: Broker, options: WorkerOptions = {}) {
    this.broker = broker;
    this.concurrency = positiveInt(options.concurrency ?? 8, "concurrency");
    this.prefetch = positiveInt(options.prefetch ?? Math.min(2 * this.concurrency, 65535), "prefetch");
    this.delayPrefetch = positiveInt(options.delayPrefetch ?? Math.min(1000 * this.concurrency, 65535), "delayPrefetch");
    this.timeout = milliseconds(options.timeout ?? 1000, "timeout", 1);
    this.restartDelay = milliseconds(options.restartDelay ?? 3000, "restartDelay", 0);
    this.queues = options.queues === undefined ? undefined : new Set(queueList(options.queues).map(qName));
    this.rootLogger = options.logger ?? broker.rootLogger;
    this.logger = this.rootLogger.child({ name: "q.worker.Worker" });
    this.storesResults = () => broker.actorOptions.has("storeResults");
  }

  /** The queues (and delay queues) this worker consumes. */
  get consumedQueues(): string[] {
    return [...this.loops.keys()];
  }

  /** Starts consuming every declared queue (and any declared later). */
  async start(): Promise<void> {
    if (this.running) return;
    await this.broker.emitBefore("beforeWorkerBoot", this);
    this.running = true;
    this.stopping = undefined;
    this.broker.addMiddleware(this.hook);
    for (const loop of this.loops.values()) loop.start();
    for (let slot = 0; slot < this.concurrency; slot++) await this.broker.emitAfter("afterWorkerThreadBoot", slot);
    await this.broker.emitAfter("afterWorkerBoot", this);
  }

  /** Stops starting new messages (fetching goes on up to the prefetch). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  /** Resolves when nothing is waiting, running or parked in this worker (tests). */
  join(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops gracefully: no new messages start, in-flight ones get up to `timeout` ms
   * (actors with `notifyShutdown` see their signal abort with Shutdown), and every
   * prefetched or delayed message goes back to the broker. Always resolves; work
   * still running at the deadline is abandoned, interrupted and requeued.
   */
  stop(options: { timeout?: number } = {}): Promise<void> {
    this.stopping ??= this.doStop(options.timeout ?? 600_000);
    return this.stopping;
  }

  /**
   * Settles once every consumer has either reached the broker (its `connect()`
   * resolved; for consumers without one, a message or an empty poll) or failed with a
   * ConnectionError or a ConfigurationError (the broker refused the queue's declaration
   * as configured) before it ever did: resolves if all reached it, else rejects with
   * the first such error. Consumers keep retrying either way; the `q` command line
   * uses this to exit 3 when a worker process cannot reach its broker at boot (2 on a
   * ConfigurationError).
   *
   * @example
   * await worker.start();
   * await worker.whenConnected(); // throws ConnectionFailed if the broker is down
   */
  async whenConnected(): Promise<void> {
    // All of them, not the first failure: every consumer's error is logged before a caller exits.
    const errors = await Promise.all([...this.loops.values()].map((loop) => loop.firstFetch));
    const failure = errors.find((error) => error !== undefined);
    if (failure) throw failure;
  }

  /** Called by the worker's middleware for each declared queue and delay queue. */
  addQueue(queueName: string): void {
    if (this.queues && !this.queues.has(qName(queueName))) return;
    if (this.loops.has(queueName)) return;
    const delay = queueName === dqName(queueName);
    const loop = new ConsumerLoop(
      this,
      queueName,
      delay ? this.delayPrefetch : this.prefetch,
      this.timeout,
      this.restartDelay,
      this.rootLogger.child({ name: `q.worker.ConsumerThread(${queueName})` }),
    );
    this.loops.set(queueName, loop);
    if (this.running) loop.start();
  }

  /** @internal */
  submit(message: MessageProxy, consumer: Consumer): void {
    const actor = this.broker.actors.get(message.actorName);
    if (!actor) {
      this.logger.error(
        `Received message ${message.messageId} on ${message.deliveryQueue} for undefined actor '${message.actorName}'. Moving it to the DLQ.`,
      );
      message.fail();
      message.stuffException(new ActorNotFound(`Actor ${message.actorName} not found.`));
      const item: WorkItem = { message, actor: undefined as never, consumer };
      this.track(item, this.settle(item));
      return;
    }
    const item: WorkItem = { message, actor, consumer };
    if (this.broker.hasHook("admitMessage")) return this.admit(item);
    this.work.push(actor.priority, item);
    this.pump();
  }

  /**
   * Runs the admission hooks of a message outside the concurrency slots; once every one
   * has let it through it joins the ready work (or, if it was taken back meanwhile, its
   * releases run at once and the consumer returns it to the broker).
   */
  private admit(item: WorkItem): void {
    const waiting: Waiting = { item, stop: new AbortController() };
    this.waiting.set(item.message, waiting);
    const queue = item.consumer.queueName;
    // Only worth saying when other actors share the queue (a queue of its own is the advice).
    if (!this.warnedFullOfWaiters.has(queue) && this.sharesQueue(item)) {
      let held = 0;
      for (const w of this.waiting.values()) if (w.item.consumer === item.consumer) held++;
      if (held >= this.prefetch) {
        // Nothing else of this queue can be fetched until one is admitted: say why, once.
        this.warnedFullOfWaiters.add(queue);
        this.logger.warn(
          `All ${held} prefetched messages of queue ${queue} are waiting for admission (a rate limit); other actors' messages on this queue wait behind them. Give rate-limited actors a queue of their own, or a larger prefetch.`,
        );
      }
    }
    void this.runAdmission(waiting);
  }

  /** Whether another actor is declared on the queue of this item's actor. */
  private sharesQueue(item: WorkItem): boolean {
    for (const actor of this.broker.actors.values()) if (actor !== item.actor && actor.queueName === item.actor.queueName) return true;
    return false;
  }

  private async runAdmission({ item, stop }: Waiting): Promise<void> {
    const releases: AdmissionRelease[] = [];
    const signal = stop.signal;
    try {
      for (const m of this.broker.middleware) {
        if (typeof m.admitMessage !== "function") continue;
        if (signal.aborted) break;
        const release = await m.admitMessage(this.broker, item.message, signal);
        if (typeof release === "function") releases.push(release);
      }
    } catch (error) {
      item.admissionError = error;
    }
    if (releases.length) item.release = releases.length === 1 ? releases[0] : async () => {
      for (const release of releases.reverse()) await release();
    };
    if (signal.aborted || this.waiting.get(item.message)?.item !== item) {
      // Taken back (stop, lost consumer): the message never runs; give back what it got.
      await this.releaseSlot(item);
      return;
    }
    this.waiting.delete(item.message);
    this.work.push(item.actor.priority, item);
    this.pump();
  }

  /** Calls the item's admission release once; a failing release is logged, never thrown. */
  private async releaseSlot(item: WorkItem): Promise<void> {
    const release = item.release;
    if (!release) return;
    item.release = undefined;
    try {
      await release();
    } catch (err) {
      this.logger.error({ err }, `Failed to release the admission of message ${item.message.messageId}.`);
    }
  }

  /** Takes back the waiting messages matching `match`: their admission is aborted. */
  private takeBackWaiting(match: (item: WorkItem) => boolean): WorkItem[] {
    const taken: WorkItem[] = [];
    for (const [message, waiting] of this.waiting) {
      if (!match(waiting.item)) continue;
      this.waiting.delete(message);
      waiting.stop.abort(new Shutdown("The worker took this message back before it was admitted."));
      taken.push(waiting.item);
    }
    return taken;
  }

  /** @internal */
  consumerLost(consumer: Consumer): Promise<void> {
    const removed = this.work.removeWhere((item) => item.consumer === consumer);
    for (const item of removed) void this.releaseSlot(item);
    const unstarted = [...this.takeBackWaiting((item) => item.consumer === consumer), ...removed].map((item) => item.message);
    // Running messages keep their place in the broker's in-flight set until they settle.
    const running: Promise<void>[] = [];
    for (const item of this.inFlight.values()) if (item.consumer === consumer) running.push(item.done!);
    const requeued = unstarted.length
      ? consumer.requeue(unstarted).catch((err: unknown) =>
          this.logger.warn({ err }, `Could not requeue ${unstarted.length} unstarted message(s) of a failed consumer of ${consumer.queueName}.`),
        )
      : undefined;
    if (this.isIdle()) this.wakeIdle();
    return Promise.all([requeued, ...running]).then(() => undefined);
  }

  private pump(): void {
    while (this.running && !this.paused && this.busy < this.concurrency && this.work.size > 0) {
      const item = this.work.pop()!;
      item.slot = true;
      this.busy++;
      // AsyncLocalStorage costs every promise in the process (Node 20 promise hooks):
      // only pay for it when CurrentMessage is there to read it.
      this.track(
        item,
        this.broker.hasMiddleware(CurrentMessage)
          ? messageContext.run({ message: item.message, actor: item.actor }, () => this.process(item))
          : this.process(item),
      );
    }
    if (this.isIdle()) this.wakeIdle();
  }

  private track(item: WorkItem, promise: Promise<void>): void {
    const message = item.message;
    const finished = () => {
      this.inFlight.delete(message);
      this.freeSlot(item);
      this.pump();
    };
    // One reaction for both outcomes (a catch and a finally would be two promises per message).
    item.done = promise.then(finished, (err: unknown) => {
      this.logger.fatal({ err }, `Unexpected error while processing ${message.messageId}.`);
      finished();
    });
    this.inFlight.set(message, item);
  }

  private async process(item: WorkItem): Promise<void> {
    let settle: boolean;
    try {
      settle = await this.run(item);
    } finally {
      if (item.release) await this.releaseSlot(item);
    }
    // As Dramatiq's worker threads hand the ack to their consumer and take the next message:
    // the ack's round trip does not hold a slot. The message stays outstanding on its consumer
    // (within the prefetch) and in flight here (stop and join wait for it) until it is settled.
    this.freeSlot(item);
    this.pump();
    if (settle) await this.settle(item);
  }

  private freeSlot(item: WorkItem): void {
    if (!item.slot) return;
    item.slot = false;
    this.busy--;
  }

  /** Runs the hooks and the actor; false when the message was abandoned (nothing to settle). */
  private async run(item: WorkItem): Promise<boolean> {
    const { message, actor } = item;
    const broker = this.broker;
    try {
      try {
        if (item.admissionError !== undefined) throw item.admissionError;
        const beforeProcess = broker.emitBefore("beforeProcessMessage", message);
        if (beforeProcess) await beforeProcess;
      } catch (error) {
        if (!(error instanceof SkipMessage)) throw error;
        this.logger.warn(`Message ${message} was skipped.`);
        if (message.failed) message.stuffException(error);
        const afterSkip = broker.emitAfter("afterSkipMessage", message);
        if (afterSkip) await afterSkip;
        return true;
      }
      const result = message.failed ? undefined : await this.callActor(actor, message);
      if (this.abandoned.has(message)) return false;
      if (result !== undefined && result !== null && !this.resultIsUsed(message, actor)) {
        actor.logger.warn(
          `Actor '${actor.actorName}' returned a value that is not undefined, but no results middleware stores it. The value has been discarded.`,
        );
      }
      const afterSuccess = broker.emitAfter("afterProcessMessage", message, { result });
      if (afterSuccess) await afterSuccess;
    } catch (error) {
      if (this.abandoned.has(message)) return false;
      message.stuffException(error);
      this.logFailure(actor, message, error);
      const afterFailure = broker.emitAfter("afterProcessMessage", message, { exception: error });
      if (afterFailure) await afterFailure;
    }
    return true;
  }

  private async callActor(actor: Actor<any, any>, message: MessageProxy): Promise<unknown> {
    const kwargs = message.kwargs;
    if (!actor.acceptKwargs && Object.keys(kwargs).length > 0) {
      message.fail();
      throw new ArgumentError(
        `${actor.actorName} got keyword arguments (${Object.keys(kwargs).join(", ")}) but takes none; declare it with { acceptKwargs: true }.`,
      );
    }
    const args = actorArguments(actor, message);
    const debug = actor.logger.isLevelEnabled("debug");
    if (debug) actor.logger.debug(`Received args=${JSON.stringify(message.args)} kwargs=${JSON.stringify(kwargs)}.`);
    const started = debug ? performance.now() : 0;
    if (message.interrupted) throw message.interrupted;
    // Race the actor against interrupts: at a time limit or shutdown the message fails
    // now, whether or not the function honours its signal; a late outcome is ignored.
    const result = await new Promise((resolve, reject) => {
      const settle = (fn: (v: unknown) => void) => (value: unknown) => {
        message.setInterruptHandler(undefined);
        fn(value);
      };
      message.setInterruptHandler(settle(reject));
      // currentSignal() reads the message while the function runs up to its first await.
      const outer = startingRun.current;
      startingRun.current = message;
      try {
        Promise.resolve(actor.fn(...args)).then(settle(resolve), settle(reject));
      } catch (error) {
        settle(reject)(error);
      } finally {
        startingRun.current = outer;
      }
    });
    if (debug) actor.logger.debug(`Completed after ${(performance.now() - started).toFixed(2)}ms.`);
    return result;
  }

  /** Whether something takes the result: a pipeline's next step, a success callback or a results store. */
  private resultIsUsed(message: MessageProxy, actor: Actor<any, any>): boolean {
    if (message.options.pipe_target !== undefined) return true;
    if (readOption(message.options, actor, "onSuccess", null)) return true;
    return this.storesResults();
  }

  private logFailure(actor: Actor<any, any>, message: MessageProxy, error: unknown): void {
    if (error instanceof Retry) return;
    if (error instanceof RateLimitExceeded) {
      this.logger.debug({ err: error }, `Failed to process message ${message} with expected exception RateLimitExceeded.`);
    } else if (isExpectedError(actor, error)) {
      this.logger.info(`Failed to process message ${message} with expected exception ${errorTypeName(error)}.`);
    } else if (error instanceof ArgumentError) {
      this.logger.error({ err: error }, `Failed to process message ${message} with ArgumentError: ${error.message}`);
    } else {
      this.logger.error({ err: error }, `Failed to process message ${message} with unhandled exception.`);
    }
  }

  /** Acks (or nacks, when failed) with the hooks; connection errors are retried until the stop deadline. */
  private async settle(item: WorkItem): Promise<void> {
    const { message, consumer } = item;
    if (this.abandoned.has(message)) return;
    const failed = message.failed;
    const beforeSettle = this.broker.emitBefore(failed ? "beforeNack" : "beforeAck", message);
    if (beforeSettle) await beforeSettle;
    // Retried without a limit: giving up would run it again. While the broker is unreachable
    // nothing new is fetched, so at most the prefetch's worth of messages wait here.
    // A stop ends the retries at its deadline (the message is then requeued).
    let retryIn = ACK_RETRY_FIRST_MS;
    for (;;) {
      try {
        await (failed ? consumer.nack(message) : consumer.ack(message));
        break;
      } catch (error) {
        if (isQError(error, "Q_DELIVERY_LOST")) {
          // The broker took the delivery back (a lost channel): it runs again, as designed.
          this.logger.warn(`${(error as Error).message} (not ${failed ? "nacked" : "acked"})`);
          return;
        }
        if (!(error instanceof ConnectionError) || this.abandoned.has(message)) {
          this.logger.error({ err: error }, `Failed to ${failed ? "nack" : "ack"} message ${message.messageId}; the broker will redeliver it.`);
          return;
        }
        this.logger.warn(`Failed to ${failed ? "nack" : "ack"} message ${message.messageId} (connection error); retrying in ${(retryIn / 1000).toFixed(2)} s.`);
        await sleep(retryIn);
        retryIn = Math.min(2 * retryIn, ACK_RETRY_MAX_MS);
      }
    }
    const afterSettle = this.broker.emitAfter(failed ? "afterNack" : "afterAck", message);
    if (afterSettle) await afterSettle;
  }

  private async doStop(timeout: number): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    if (!wasRunning && this.loops.size === 0) return;
    const deadline = Date.now() + timeout;
    await this.broker.emitBefore("beforeWorkerShutdown", this);
    this.logger.info("Shutting down...");
    const fetching = Promise.all([...this.loops.values()].map((loop) => loop.stopFetching()));
    // Waiting messages never started: they go back with the rest of the unstarted work.
    this.takeBackWaiting(() => true);
    await settleWithin(Promise.all([...this.inFlight.values()].map((item) => item.done)), deadline - Date.now());
    const abandoned = [...this.inFlight.keys()];
    for (const message of abandoned) {
      this.abandoned.add(message);
      message.interrupt(new Shutdown("The worker stopped before this message finished; it was requeued."));
    }
    if (abandoned.length) this.logger.warn(`Abandoned ${abandoned.length} running message(s) at the shutdown deadline; requeueing them.`);
    for (let slot = 0; slot < this.concurrency; slot++) await this.broker.emitBefore("beforeWorkerThreadShutdown", slot);

    // Unstarted and abandoned work is still outstanding on its consumer: closing the
    // consumer returns it in fetch order. Closing also wakes a fetch waiting in next().
    await Promise.all(this.work.drain().map((item) => this.releaseSlot(item)));
    // One grace period for closing the consumers and the fetch loops ending, not one each:
    // with the broker unreachable both can use all of it (the documented "up to 5 more seconds").
    const graceEnd = Date.now() + CLOSE_GRACE_MS;
    await Promise.all([...this.loops.values()].map((loop) => loop.close(CLOSE_GRACE_MS)));
    await settleWithin(fetching, Math.max(0, graceEnd - Date.now()));
    this.loops.clear();
    for (const item of this.inFlight.values()) this.freeSlot(item);
    this.inFlight.clear();
    this.broker.removeMiddleware(this.hook);
    await this.broker.emitAfter("afterWorkerShutdown", this);
    this.logger.info("Worker has been shut down.");
    this.wakeIdle();
  }

  private isIdle(): boolean {
    if (this.work.size > 0 || this.inFlight.size > 0 || this.waiting.size > 0) return false;
    for (const loop of this.loops.values()) if (loop.parkedCount > 0) return false;
    return true;
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

/** Internal: learns declared queues (also those declared after start) for its worker. */
class WorkerMiddleware extends Middleware {
  constructor(private readonly worker: Worker) {
    super();
  }
  override afterDeclareQueue(_broker: Broker, queueName: string): void {
    this.worker.addQueue(queueName);
  }
  override afterDeclareDelayQueue(_broker: Broker, queueName: string): void {
    this.worker.addQueue(queueName);
  }
}

function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new ConfigurationError(`Worker ${name} must be a positive integer, got ${describeValue(value)}.`);
  return value;
}

/** setTimeout's longest delay; a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function milliseconds(value: number, name: string, least: number): number {
  if (typeof value !== "number" || !(value >= least && value <= MAX_TIMER_MS)) {
    throw new ConfigurationError(`Worker ${name} must be a number of milliseconds from ${least} to ${MAX_TIMER_MS}, got ${describeValue(value)}.`);
  }
  return value;
}

function queueList(queues: readonly string[]): readonly string[] {
  if (!Array.isArray(queues) || !queues.every((q) => typeof q === "string")) {
    throw new ConfigurationError(`Worker queues must be a list of queue names, got ${describeValue(queues)}.`);
  }
  return queues;
}
