import { uuid4 } from "../ids/uuid4";
import type { Broker } from "../broker/Broker";
import { getBroker } from "../broker/globalBroker";
import { ArgumentError } from "../errors/ArgumentError";
import { describeValue } from "../errors/describeValue";
import { Message } from "../message/Message";
import { GroupCallbacks } from "../middleware/GroupCallbacks";
import { Barrier } from "../ratelimits/Barrier";
import type { ResultBackend } from "../results/ResultBackend";
import { resultBackendOf } from "../results/resultBackendOf";
import type { MemberResults, MembersInput } from "./chainTypes";
import { type CompositionResultOptions, isStored, Pipeline } from "./Pipeline";
import { requireMiddleware } from "./requireMiddleware";
import { resultDeadline, timeLeft } from "./resultDeadline";

type GroupChild = Message | Pipeline | Group;

/**
 * One member's result, as {@link Group.asCompleted} yields it.
 *
 * @example
 * for await (const { index, result }: CompletedMember<number> of g.asCompleted()) totals[index] = result;
 */
export interface CompletedMember<T = unknown> {
  /** The member's position in the group. */
  readonly index: number;
  readonly result: T;
}

/**
 * Messages (and pipelines, and groups) run in parallel. Completion callbacks,
 * added with {@link Group.addCompletionCallback}, are enqueued once every member has
 * succeeded; they need the GroupCallbacks middleware. With the Results middleware (and
 * members that store results) a group can be waited on: `wait`, `getResults`,
 * `asCompleted`, `completed`, `completedCount`. `Rs` are the members' result types.
 *
 * @example
 * const g = group([resize.message("a.png"), resize.message("b.png")]);
 * g.addCompletionCallback(notify.message("all resized"));
 * await g.run();
 * const sizes = await g.getResults({ block: true }); // in member order
 */
export class Group<Rs extends readonly unknown[] = unknown[], In = unknown> {
  readonly children: readonly GroupChild[];
  readonly broker: Broker;
  private readonly callbacks: Message[] = [];
  /** Phantom: the members' result types and what a group step accepts. Never set. */
  declare readonly __results?: Rs;
  declare readonly __accepts?: In;

  constructor(children: readonly GroupChild[], options: { broker?: Broker } = {}) {
    if (!Array.isArray(children)) throw new ArgumentError(`A group takes a list of messages, pipelines and groups, got ${describeValue(children)}.`);
    this.broker = options.broker ?? getBroker();
    for (const [i, child] of children.entries()) {
      if (!(child instanceof Message || child instanceof Pipeline || child instanceof Group)) {
        throw new ArgumentError(`A group's children must be messages, pipelines or groups; child ${i} is ${describeValue(child)}.`);
      }
    }
    this.children = [...children];
  }

  get length(): number {
    return this.children.length;
  }

  /** Whether completion callbacks were added. */
  get hasCompletionCallbacks(): boolean {
    return this.callbacks.length > 0;
  }

  /**
   * Enqueues `message` once every member of the group has succeeded.
   *
   * @example
   * group([a.message(1), b.message(2)]).addCompletionCallback(notify.message("done"));
   */
  addCompletionCallback(message: Message<any, any>): this {
    if (!(message instanceof Message)) throw new ArgumentError(`A completion callback is a message, got ${describeValue(message)}.`);
    this.callbacks.push(message);
    return this;
  }

  /**
   * Enqueues every message child (after `delay`, if given) and runs every pipeline
   * and group child. With completion callbacks, each run gets a fresh barrier; they need
   * the GroupCallbacks middleware ({@link MiddlewareMissing} otherwise).
   *
   * @example
   * await group([a.message(1), b.message(2)]).run({ delay: 500 });
   */
  async run(options: { delay?: number } = {}): Promise<this> {
    let extra: Record<string, unknown> | undefined;
    if (this.callbacks.length > 0) {
      const middleware = requireMiddleware(this.broker, GroupCallbacks, "A group with completion callbacks", "new GroupCallbacks(rateLimiterBackend)");
      if (this.children.some((c) => c instanceof Group)) {
        throw new ArgumentError("Completion callbacks are not supported for groups that contain groups.");
      }
      const uuid = uuid4();
      extra = { group_completion_uuid: uuid, group_completion_callbacks: this.callbacks.map((m) => m.toDict()) };
      // Build the pipeline copies before the barrier: one that cannot take the options throws first.
      const ready = this.children.map((c) => (c instanceof Pipeline ? c.withLastStepOptions(extra!) : c));
      await new Barrier(middleware.backend, uuid, { ttl: middleware.barrierTtl }).create(this.children.length);
      return this.start(ready, extra, options);
    }
    return this.start(this.children, undefined, options);
  }

  private async start(children: readonly GroupChild[], extra: Record<string, unknown> | undefined, options: { delay?: number }): Promise<this> {
    const messages: Message[] = [];
    const runs: Promise<unknown>[] = [];
    for (const child of children) {
      if (child instanceof Message) messages.push(extra ? child.copy({ options: extra }) : child);
      else runs.push(child.run(options));
    }
    if (messages.length) await this.broker.enqueueMany(messages, options);
    await Promise.all(runs);
    return this;
  }

  /**
   * Waits until every member's result is stored, within `timeout` ms (default 10000).
   * Throws {@link ResultTimeout}, or {@link ResultFailure} for a member that failed.
   *
   * @example
   * await g.run();
   * await g.wait({ timeout: 30_000 });
   */
  async wait(options: { timeout?: number; backend?: ResultBackend } = {}): Promise<void> {
    await this.getResults({ ...options, block: true });
  }

  /**
   * Every member's result in member order (a nested group: its list; a pipeline: its last
   * step's), within one shared `timeout`. Throws {@link ResultMissing} (not blocking),
   * {@link ResultTimeout}, {@link ResultFailure}, or {@link MiddlewareMissing} without the
   * Results middleware.
   *
   * @example
   * const [a, b] = await group([add.message(1, 2), add.message(3, 4)]).run().then((g) => g.getResults({ block: true }));
   */
  async getResults(options: CompositionResultOptions = {}): Promise<Rs> {
    const deadline = resultDeadline(options, "group.getResults()");
    return (await this.resultsBy(this.backendFor(options), options.block ?? false, deadline)) as unknown as Rs;
  }

  /**
   * The members' results as they are stored, in completion order, each with its member
   * index, within one shared `timeout` (default 10000 ms). A failed member throws its
   * {@link ResultFailure} when its turn comes; the deadline throws {@link ResultTimeout}.
   *
   * @example
   * for await (const { index, result } of g.asCompleted({ timeout: 60_000 })) console.log(index, result);
   */
  async *asCompleted(options: { timeout?: number; backend?: ResultBackend } = {}): AsyncGenerator<CompletedMember<Rs[number]>, void, undefined> {
    const deadline = resultDeadline(options, "group.asCompleted()");
    const backend = this.backendFor(options);
    type Settled = { index: number; ok: true; value: unknown } | { index: number; ok: false; error: unknown };
    const pending = new Map<number, Promise<Settled>>();
    for (const [index, child] of this.children.entries()) {
      const read = Promise.resolve().then(() => childResult(child, backend, true, deadline));
      pending.set(index, read.then((value): Settled => ({ index, ok: true, value }), (error: unknown): Settled => ({ index, ok: false, error })));
    }
    while (pending.size > 0) {
      const settled = await Promise.race(pending.values());
      pending.delete(settled.index);
      if (!settled.ok) throw settled.error;
      yield { index: settled.index, result: settled.value as Rs[number] };
    }
  }

  /**
   * Whether every member has a stored result (a stored failure counts: it has finished).
   *
   * @example
   * if (await g.completed()) console.log(await g.getResults());
   */
  async completed(options: { backend?: ResultBackend } = {}): Promise<boolean> {
    return (await this.completedCount(options)) === this.children.length;
  }

  /**
   * How many members have a stored result (a pipeline: its last step; a group: all its members).
   *
   * @example
   * console.log(`${await g.completedCount()} of ${g.length} done`);
   */
  async completedCount(options: { backend?: ResultBackend } = {}): Promise<number> {
    const backend = this.backendFor(options);
    let count = 0;
    for (const child of this.children) {
      if (child instanceof Message ? await isStored(backend, child) : await child.completed({ backend })) count++;
    }
    return count;
  }

  /** @internal The members' results by `deadline`. */
  async resultsBy(backend: ResultBackend, block: boolean, deadline: number): Promise<unknown[]> {
    const out: unknown[] = [];
    for (const child of this.children) out.push(await childResult(child, backend, block, deadline));
    return out;
  }

  private backendFor(options: { backend?: ResultBackend }): ResultBackend {
    return resultBackendOf(undefined, { backend: options.backend, broker: this.broker }, "Reading a group's results");
  }
}

function childResult(child: GroupChild, backend: ResultBackend, block: boolean, deadline: number): Promise<unknown> {
  if (child instanceof Message) return backend.getResult(child, { block, timeout: timeLeft(deadline) });
  if (child instanceof Pipeline) return child.stepResult(child.length - 1, backend, block, deadline);
  return child.resultsBy(backend, block, deadline);
}

/**
 * Builds a {@link Group}, typed by its members: `getResults()` resolves to their
 * result types in member order.
 *
 * @example
 * const g = group([add.message(1, 2), title.message(url)]);
 * const [sum, text] = await (await g.run()).getResults({ block: true }); // [number, string]
 */
export function group<const T extends readonly (Message<any, any> | Pipeline<any, any> | Group<any, any>)[]>(
  children: T,
  options: { broker?: Broker } = {},
): Group<MemberResults<T>, MembersInput<T>> {
  return new Group(children as readonly GroupChild[], options) as unknown as Group<MemberResults<T>, MembersInput<T>>;
}
