import type { Broker } from "../broker/Broker";
import { getBroker } from "../broker/globalBroker";
import { ArgumentError } from "../errors/ArgumentError";
import { describeValue } from "../errors/describeValue";
import type { Message } from "../message/Message";

/**
 * A chain of messages: each step's result is appended to the next step's arguments
 * (unless that step has `pipeIgnore`). Only the first message is enqueued by `run()`;
 * the Pipelines middleware enqueues each next step after a success. The message ids
 * of all steps are fixed when the pipeline is built.
 *
 * @example
 * const p = pipeline([add.message(1, 2), add.message(3)]); // add(3, add(1, 2))
 * await p.run();
 */
export class Pipeline {
  /** The steps as they will run, each holding the rest of the chain in `pipe_target`. */
  readonly messages: readonly Message[];
  readonly broker: Broker;
  /** The steps before chaining (used to rebuild with extra options on the last step). */
  private readonly steps: readonly Message[];

  constructor(children: readonly (Message | Pipeline)[], options: { broker?: Broker } = {}) {
    if (!Array.isArray(children)) throw new ArgumentError(`A pipeline takes a list of messages and pipelines, got ${describeValue(children)}.`);
    this.broker = options.broker ?? getBroker();
    const steps: Message[] = [];
    for (const [i, child] of children.entries()) {
      if (child instanceof Pipeline) steps.push(...child.steps);
      else if (isMessage(child)) steps.push(child);
      else throw new ArgumentError(`A pipeline's children must be messages or pipelines; child ${i} is ${describeValue(child)}.`);
    }
    if (steps.length === 0) throw new ArgumentError("A pipeline needs at least one message.");
    this.steps = steps;
    this.messages = chain(steps);
  }

  /** The number of steps. */
  get length(): number {
    return this.messages.length;
  }

  /**
   * Enqueues the first step, after the larger of `delay` and its own `delay` option.
   */
  async run(options: { delay?: number } = {}): Promise<this> {
    const first = this.messages[0]!;
    const own = typeof first.options.delay === "number" ? first.options.delay : 0;
    const delay = Math.max(options.delay ?? 0, own);
    await this.broker.enqueue(first, { delay: delay > 0 ? delay : undefined });
    return this;
  }

  /** A copy whose last step carries extra options (group completion uses this). */
  withLastStepOptions(options: Readonly<Record<string, unknown>>): Pipeline {
    const steps = [...this.steps];
    steps[steps.length - 1] = steps[steps.length - 1]!.copy({ options });
    return new Pipeline(steps, { broker: this.broker });
  }
}

/**
 * Builds a {@link Pipeline} (a `|` chain in Dramatiq).
 *
 * @example
 * await pipeline([fetch.message(url), parse.message(), store.message()]).run();
 */
export function pipeline(children: readonly (Message | Pipeline)[], options: { broker?: Broker } = {}): Pipeline {
  return new Pipeline(children, options);
}

/** Nests each step's successor into its `pipe_target`, from the last step back. */
function chain(steps: readonly Message[]): Message[] {
  const out: Message[] = new Array(steps.length);
  let next: Message | undefined;
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    next = next ? step.copy({ options: { pipe_target: next.toDict() } }) : step;
    out[i] = next;
  }
  return out;
}

function isMessage(value: unknown): value is Message {
  return typeof value === "object" && value !== null && "actorName" in value && "messageId" in value && "encode" in value;
}
