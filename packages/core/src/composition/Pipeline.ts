import type { Broker } from "../broker/Broker";
import { getBroker } from "../broker/globalBroker";
import { ArgumentError } from "../errors/ArgumentError";
import { describeValue } from "../errors/describeValue";
import { ResultFailure } from "../errors/ResultFailure";
import { ResultMissing } from "../errors/ResultMissing";
import type { Message } from "../message/Message";
import { GroupCallbacks } from "../middleware/GroupCallbacks";
import { Pipelines } from "../middleware/Pipelines";
import { Results } from "../middleware/Results";
import type { GetResultOptions, ResultBackend } from "../results/ResultBackend";
import { resultBackendOf } from "../results/resultBackendOf";
import type { CheckedSteps, FirstInput, LastResult, StepInput, StepResult, PipeMismatch } from "./chainTypes";
import { Group } from "./Group";
import { requireMiddleware } from "./requireMiddleware";
import { resultDeadline, timeLeft } from "./resultDeadline";
import { sendStep } from "./sendStep";

/** A built step: a message, or the members of a group step. */
type BuiltStep = Message | readonly Message[];

/**
 * Options of the result reads of pipelines and groups: `block` and `timeout` (one
 * deadline for the whole read), and optionally the backend to read from.
 *
 * @example
 * const options: CompositionResultOptions = { block: true, timeout: 2_000, backend };
 * await p.getResults(options);
 */
export interface CompositionResultOptions extends GetResultOptions {
  /** Read from this backend instead of the Results middleware's of the pipeline's (or group's) broker. */
  backend?: ResultBackend;
}

/**
 * A chain of steps: each step's result is appended to the next step's arguments
 * (unless that step has `pipeIgnore`). A step is a message or a group of messages (a
 * group step: every member gets the previous result, and the next step gets the list of
 * the members' results, in member order, once all have succeeded). Only the first step is
 * enqueued by `run()`; the Pipelines middleware (and GroupCallbacks, after a group step)
 * enqueues each next step after a success. The message ids of all steps are fixed when
 * the pipeline is built, so their results can be awaited. `R` is the last step's result.
 *
 * @example
 * const p = pipeline([add.message(1, 2), add.message(3)]); // add(3, add(1, 2))
 * await p.run();
 * const sum: number = await p.getResult({ block: true }); // 6
 */
export class Pipeline<R = unknown, In = unknown> {
  /** Every message as it will run, in order (a group step's members one after another). */
  readonly messages: readonly Message[];
  /** The steps as they will run: a message, or a group step's members. */
  readonly steps: readonly BuiltStep[];
  readonly broker: Broker;
  /** The steps before chaining (used to rebuild with extra options on the last step). */
  private readonly sources: readonly (Message | Group)[];
  /** Phantom: the last step's result type and what the first step accepts. Never set. */
  declare readonly __result?: R;
  declare readonly __accepts?: In;

  constructor(children: readonly (Message | Pipeline | Group)[], options: { broker?: Broker } = {}) {
    if (!Array.isArray(children)) throw new ArgumentError(`A pipeline takes a list of messages, pipelines and groups, got ${describeValue(children)}.`);
    this.broker = options.broker ?? getBroker();
    const sources: (Message | Group)[] = [];
    for (const [i, child] of children.entries()) {
      if (child instanceof Pipeline) sources.push(...child.sources);
      else if (isMessage(child)) sources.push(child);
      else if (child instanceof Group) sources.push(checkGroupStep(child, i));
      else throw new ArgumentError(`A pipeline's children must be messages, pipelines or groups; child ${i} is ${describeValue(child)}.`);
    }
    if (sources.length === 0) throw new ArgumentError("A pipeline needs at least one message.");
    this.sources = sources;
    this.steps = chain(sources);
    this.messages = this.steps.flatMap((s) => (isMessage(s) ? [s] : [...s]));
  }

  /** The number of steps (a group step counts once). */
  get length(): number {
    return this.steps.length;
  }

  /**
   * Enqueues the first step (every member of it, for a group step), after the larger of
   * `delay` and its own `delay` option. Throws {@link MiddlewareMissing} when the broker
   * lacks what the chain needs: `Pipelines` for more than one step, `GroupCallbacks` and
   * `Results` for a group step.
   *
   * @example
   * await pipeline([a.message(1), b.message()]).run({ delay: 1_000 });
   */
  async run(options: { delay?: number } = {}): Promise<this> {
    if (this.steps.length > 1) requireMiddleware(this.broker, Pipelines, `A pipeline of ${this.steps.length} steps`, "new Pipelines()");
    if (this.steps.some((s) => !isMessage(s))) {
      requireMiddleware(this.broker, GroupCallbacks, "A pipeline with a group step", "new GroupCallbacks(rateLimiterBackend)");
      requireMiddleware(this.broker, Results, "A pipeline with a group step", "new Results({ backend })");
    }
    const atLeast = options.delay ?? 0;
    if (!(typeof atLeast === "number" && Number.isFinite(atLeast) && atLeast >= 0)) throw new ArgumentError(`pipeline.run(): delay must be a non-negative number of milliseconds, got ${describeValue(atLeast)}.`);
    await sendStep(this.broker, this.steps[0]!, undefined, (wire, value, why) => {
      throw new ArgumentError(`pipeline.run(): the first step's ${wire.replace(/^[^.]*\.?/, "")} option ${describeValue(value)} cannot be used (${why}).`);
    }, atLeast);
    return this;
  }

  /**
   * A new pipeline: this one, then `next` (on this pipeline's broker).
   *
   * @example
   * const p = pipeline([a.message(1)]).pipe(b.message()).pipe(c.message());
   */
  pipe<N extends Message<any, any> | Pipeline<any, any> | Group<any, any>>(next: N & ([R] extends [StepInput<N>] ? unknown : PipeMismatch<R, StepInput<N>>)): Pipeline<StepResult<N>, In> {
    return new Pipeline([this, next], { broker: this.broker }) as Pipeline<StepResult<N>, In>;
  }

  /**
   * The last step's result (a group step: the list of its members' results). Throws
   * {@link ResultMissing} when it is not stored and `block` is false, {@link ResultTimeout}
   * after `timeout` ms (default 10000), {@link ResultFailure} when it failed, and
   * {@link MiddlewareMissing} when the broker has no Results middleware (and no `backend`).
   *
   * @example
   * const last = await p.getResult({ block: true, timeout: 5_000 });
   */
  async getResult(options: CompositionResultOptions = {}): Promise<R> {
    const deadline = resultDeadline(options, "pipeline.getResult()");
    return (await this.stepResult(this.steps.length - 1, this.backendFor(options), options.block ?? false, deadline)) as R;
  }

  /**
   * Every step's result, in step order, within one shared `timeout`.
   *
   * @example
   * const [sum, doubled] = await pipeline([add.message(1, 2), double.message()]).getResults({ block: true });
   */
  async getResults(options: CompositionResultOptions = {}): Promise<unknown[]> {
    const deadline = resultDeadline(options, "pipeline.getResults()");
    const backend = this.backendFor(options);
    const out: unknown[] = [];
    for (let i = 0; i < this.steps.length; i++) out.push(await this.stepResult(i, backend, options.block ?? false, deadline));
    return out;
  }

  /**
   * Whether the last step's result is stored (a stored failure counts: it has finished).
   *
   * @example
   * if (await p.completed()) console.log(await p.getResult());
   */
  async completed(options: { backend?: ResultBackend } = {}): Promise<boolean> {
    return (await this.stepDone(this.steps.length - 1, this.backendFor(options))) === true;
  }

  /**
   * How many steps have a stored result (a group step counts once all its members do).
   *
   * @example
   * console.log(`${await p.completedCount()} of ${p.length} steps done`);
   */
  async completedCount(options: { backend?: ResultBackend } = {}): Promise<number> {
    const backend = this.backendFor(options);
    let count = 0;
    for (let i = 0; i < this.steps.length; i++) if (await this.stepDone(i, backend)) count++;
    return count;
  }

  /** A copy whose last step carries extra options (group completion uses this). */
  withLastStepOptions(options: Readonly<Record<string, unknown>>): Pipeline<R, In> {
    const sources = [...this.sources];
    const last = sources[sources.length - 1]!;
    if (!isMessage(last)) throw new ArgumentError("Completion callbacks are not supported for a group whose pipeline ends in a group step.");
    sources[sources.length - 1] = last.copy({ options });
    return new Pipeline(sources, { broker: this.broker });
  }

  /** @internal The backend results are read from. */
  backendFor(options: { backend?: ResultBackend }): ResultBackend {
    return resultBackendOf(undefined, { backend: options.backend, broker: this.broker }, "Reading a pipeline's results");
  }

  /** @internal A step's result by `deadline`. */
  async stepResult(index: number, backend: ResultBackend, block: boolean, deadline: number): Promise<unknown> {
    const step = this.steps[index]!;
    if (isMessage(step)) return backend.getResult(step, { block, timeout: timeLeft(deadline) });
    const out: unknown[] = [];
    for (const member of step) out.push(await backend.getResult(member, { block, timeout: timeLeft(deadline) }));
    return out;
  }

  private async stepDone(index: number, backend: ResultBackend): Promise<boolean> {
    const step = this.steps[index]!;
    for (const m of isMessage(step) ? [step] : step) if (!(await isStored(backend, m))) return false;
    return true;
  }
}

/**
 * Builds a {@link Pipeline} (a `|` chain in Dramatiq). Steps are messages, pipelines
 * (flattened) and groups of messages (group steps). Types flow: each step must accept the
 * previous step's result as its missing last argument, and `getResult()` is typed by the
 * last step.
 *
 * @example
 * const p = pipeline([fetch.message(url), group([parse.message(), hash.message()]), store.message()]);
 * await p.run(); // store([parsed, hashed]) once both have run
 */
export function pipeline<const T extends readonly (Message<any, any> | Pipeline<any, any> | Group<any, any>)[]>(
  children: T & CheckedSteps<T>,
  options: { broker?: Broker } = {},
): Pipeline<LastResult<T>, FirstInput<T>> {
  return new Pipeline(children as readonly (Message | Pipeline | Group)[], options) as Pipeline<LastResult<T>, FirstInput<T>>;
}

/** Internal: whether `message`'s result (or failure) is stored. */
export async function isStored(backend: ResultBackend, message: Message): Promise<boolean> {
  try {
    await backend.getResult(message);
    return true;
  } catch (error) {
    if (error instanceof ResultMissing) return false;
    if (error instanceof ResultFailure) return true;
    throw error;
  }
}

function checkGroupStep(group: Group, index: number): Group {
  if (group.length === 0) throw new ArgumentError(`A pipeline's group step needs at least one message; child ${index} is an empty group.`);
  for (const [j, member] of group.children.entries()) {
    if (!isMessage(member)) throw new ArgumentError(`A pipeline's group step holds messages only; child ${index}'s member ${j} is ${describeValue(member)}.`);
  }
  if (group.hasCompletionCallbacks) throw new ArgumentError(`A pipeline's group step cannot have completion callbacks (child ${index}): the next step is its completion.`);
  return group;
}

/** Nests each step's successor into the step: `pipe_target`, `pipe_target_group`, or each member's `group_pipe`. */
function chain(sources: readonly (Message | Group)[]): BuiltStep[] {
  const out: BuiltStep[] = new Array(sources.length);
  let next: BuiltStep | undefined;
  for (let i = sources.length - 1; i >= 0; i--) {
    const source = sources[i]!;
    const link = next === undefined ? undefined : isMessage(next) ? { pipe_target: next.toDict() } : { pipe_target_group: { members: next.map((m) => m.toDict()) } };
    if (isMessage(source)) {
      next = link ? source.copy({ options: link }) : source;
    } else {
      const members = source.children as readonly Message[];
      const keys = members.map((m) => ({ queue_name: m.queueName, actor_name: m.actorName, message_id: m.messageId }));
      next = link ? members.map((m) => m.copy({ options: { store_results: true, group_pipe: { members: keys, ...link } } })) : members;
    }
    out[i] = next;
  }
  return out;
}

function isMessage(value: unknown): value is Message {
  return typeof value === "object" && value !== null && "actorName" in value && "messageId" in value && "encode" in value;
}
