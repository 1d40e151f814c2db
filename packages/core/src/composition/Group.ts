import { uuid4 } from "../ids/uuid4";
import type { Broker } from "../broker/Broker";
import { getBroker } from "../broker/globalBroker";
import { ArgumentError } from "../errors/ArgumentError";
import { describeValue } from "../errors/describeValue";
import { QError } from "../errors/QError";
import { Message } from "../message/Message";
import { GroupCallbacks } from "../middleware/GroupCallbacks";
import { Barrier } from "../ratelimits/Barrier";
import { Pipeline } from "./Pipeline";

type GroupChild = Message | Pipeline | Group;

/**
 * Messages (and pipelines, and groups) run in parallel. Completion callbacks,
 * added with {@link Group.addCompletionCallback}, are enqueued once every member has
 * succeeded; they need the GroupCallbacks middleware.
 *
 * @example
 * const g = group([resize.message("a.png"), resize.message("b.png")]);
 * g.addCompletionCallback(notify.message("all resized"));
 * await g.run();
 */
export class Group {
  readonly children: readonly GroupChild[];
  readonly broker: Broker;
  private readonly callbacks: Message[] = [];

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

  /** Enqueues `message` once every member of the group has succeeded. */
  addCompletionCallback(message: Message): this {
    if (!(message instanceof Message)) throw new ArgumentError(`A completion callback is a message, got ${describeValue(message)}.`);
    this.callbacks.push(message);
    return this;
  }

  /**
   * Enqueues every message child (after `delay`, if given) and runs every pipeline
   * and group child. With completion callbacks, each run gets a fresh barrier.
   */
  async run(options: { delay?: number } = {}): Promise<this> {
    let extra: Record<string, unknown> | undefined;
    if (this.callbacks.length > 0) {
      const middleware = this.broker.middleware.find((m): m is GroupCallbacks => m instanceof GroupCallbacks);
      if (!middleware) throw new QError("Group completion callbacks need the GroupCallbacks middleware on the broker.");
      if (this.children.some((c) => c instanceof Group)) {
        throw new QError("Completion callbacks are not supported for groups that contain groups.");
      }
      const uuid = uuid4();
      await new Barrier(middleware.backend, uuid, { ttl: middleware.barrierTtl }).create(this.children.length);
      extra = { group_completion_uuid: uuid, group_completion_callbacks: this.callbacks.map((m) => m.toDict()) };
    }
    const messages: Message[] = [];
    const runs: Promise<unknown>[] = [];
    for (const child of this.children) {
      if (child instanceof Message) messages.push(extra ? child.copy({ options: extra }) : child);
      else if (child instanceof Pipeline) runs.push((extra ? child.withLastStepOptions(extra) : child).run(options));
      else runs.push(child.run(options));
    }
    if (messages.length) await this.broker.enqueueMany(messages, options);
    await Promise.all(runs);
    return this;
  }
}

/**
 * Builds a {@link Group}.
 *
 * @example
 * await group([a.message(1), b.message(2)]).run();
 */
export function group(children: readonly GroupChild[], options: { broker?: Broker } = {}): Group {
  return new Group(children, options);
}
