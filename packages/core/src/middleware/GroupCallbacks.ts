import type { Broker } from "../broker/Broker";
import { readGroupStep } from "../composition/readGroupStep";
import { sendStep } from "../composition/sendStep";
import { childLogger } from "../logging/childLogger";
import { Message } from "../message/Message";
import type { MessageProxy } from "../message/MessageProxy";
import { warnInvalid } from "../options/messageOption";
import { Barrier } from "../ratelimits/Barrier";
import type { RateLimiterBackend } from "../ratelimits/RateLimiterBackend";
import { DEFAULT_RESULT_TIMEOUT } from "../results/ResultBackend";
import type { ResultKeyParts } from "../results/ResultBackend";
import { Middleware, type ProcessOutcome } from "./Middleware";
import { Results } from "./Results";

const LOGGER = "q.middleware.group_callbacks.GroupCallbacks";

/**
 * Fires a group's completion callbacks once every member has succeeded, counting
 * members on a {@link Barrier} in a rate-limiter backend. Failed or skipped members
 * never count, so a group with a member that fails for good never completes.
 *
 * It also continues pipelines after a group step: each member of such a step carries
 * `group_pipe` (`{"barrier": id, "members": [{queue_name, actor_name, message_id}],
 * "pipe_target": dict}` or `"pipe_target_group"`). The member that clears the barrier
 * reads every member's result, in member order, from the Results middleware's backend
 * and sends the next step with that list; the barrier lets exactly one member do so,
 * whichever process it runs in.
 *
 * @example
 * broker.addMiddleware(new GroupCallbacks(new RedisRateLimiterBackend({ url })));
 * const g = group([resize.message(a), resize.message(b)]);
 * g.addCompletionCallback(notify.message("done"));
 * await g.run();
 */
export class GroupCallbacks extends Middleware {
  readonly barrierTtl: number;

  constructor(
    readonly backend: RateLimiterBackend,
    options: { barrierTtl?: number } = {},
  ) {
    super();
    this.barrierTtl = options.barrierTtl ?? 86_400_000;
  }

  override afterProcessMessage(broker: Broker, message: MessageProxy, { exception, result }: ProcessOutcome): void | Promise<void> {
    if (exception !== undefined || message.failed) return;
    const pipe = message.options.group_pipe;
    const callbacks = this.completionCallbacks(broker, message);
    if ((pipe === undefined || pipe === null) && !callbacks) return;
    return this.settle(broker, message, callbacks, pipe, result);
  }

  private async settle(broker: Broker, message: MessageProxy, callbacks: Promise<void> | undefined, pipe: unknown, result: unknown): Promise<void> {
    await callbacks;
    if (pipe !== undefined && pipe !== null) await this.continuePipeline(broker, message, pipe, result);
  }

  private completionCallbacks(broker: Broker, message: MessageProxy): Promise<void> | undefined {
    const uuid = message.options.group_completion_uuid;
    const callbacks = message.options.group_completion_callbacks;
    if (uuid === undefined && callbacks === undefined) return;
    if (typeof uuid !== "string") {
      if (callbacks !== undefined) warnInvalid(broker, LOGGER, message, "group_completion_uuid", uuid, "expected a string; the group's completion callbacks are not sent");
      return;
    }
    if (!Array.isArray(callbacks)) {
      warnInvalid(broker, LOGGER, message, "group_completion_callbacks", callbacks, "expected a list of messages; no completion callbacks are sent");
      return;
    }
    if (callbacks.length === 0) return;
    return this.arrive(broker, message, uuid, callbacks);
  }

  private async arrive(broker: Broker, message: MessageProxy, uuid: string, callbacks: unknown[]): Promise<void> {
    // Read the callbacks first: one that is not a message is left out, the others still go.
    const messages: Message[] = [];
    for (const [i, callback] of callbacks.entries()) {
      try {
        messages.push(Message.fromDict(callback));
      } catch (error) {
        warnInvalid(broker, LOGGER, message, `group_completion_callbacks[${i}]`, callback, `${(error as Error).message}; that callback is not sent`);
      }
    }
    const barrier = new Barrier(this.backend, uuid, { ttl: this.barrierTtl });
    if (await barrier.wait({ block: false })) {
      for (const next of messages) await broker.enqueue(next);
    }
  }

  private async continuePipeline(broker: Broker, message: MessageProxy, pipe: unknown, result: unknown): Promise<void> {
    const warn = (wire: string, value: unknown, why: string) => warnInvalid(broker, LOGGER, message, wire, value, why);
    const read = readGroupPipe(pipe);
    if (typeof read === "string") return warn("group_pipe", pipe, `${read}; the pipeline stops here`);
    const { barrier, members, next } = read;
    if (!(await new Barrier(this.backend, barrier, { ttl: this.barrierTtl }).wait({ block: false }))) return;
    const log = childLogger(broker, LOGGER);
    const results = broker.middleware.find((m): m is Results => m instanceof Results);
    if (!results) {
      log.error(`Message ${message.messageId} completed a group step, but the broker has no Results middleware to read the members' results from; the pipeline stops here.`);
      return;
    }
    const values: unknown[] = [];
    try {
      for (const member of members) {
        // This member's own result may not be stored yet (Results may run after this hook).
        if (member.messageId === message.messageId) values.push(result === undefined ? null : result);
        else values.push(await results.backend.getResult(member, { block: true, timeout: DEFAULT_RESULT_TIMEOUT }));
      }
      await sendStep(broker, next, { result: values }, warn);
    } catch (error) {
      log.error({ err: error }, `The step after the group step of message ${message.messageId} cannot be sent (the pipeline stops here): ${(error as Error).message}`);
    }
  }
}

/** `group_pipe` read: the barrier, the members' result keys and the step to send after them. */
function readGroupPipe(value: unknown): { barrier: string; members: ResultKeyParts[]; next: Message | Message[] } | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "expected an object";
  const pipe = value as Record<string, unknown>;
  if (typeof pipe.barrier !== "string") return "expected a string barrier";
  if (!Array.isArray(pipe.members) || pipe.members.length === 0) return "expected a non-empty list of members";
  const members: ResultKeyParts[] = [];
  for (const m of pipe.members as unknown[]) {
    const k = m as Record<string, unknown> | null;
    if (typeof k !== "object" || k === null || typeof k.queue_name !== "string" || typeof k.actor_name !== "string" || typeof k.message_id !== "string") {
      return "expected members of {queue_name, actor_name, message_id}";
    }
    members.push({ queueName: k.queue_name, actorName: k.actor_name, messageId: k.message_id });
  }
  let next: Message | Message[];
  if (pipe.pipe_target !== undefined && pipe.pipe_target !== null) {
    try {
      next = Message.fromDict(pipe.pipe_target);
    } catch (error) {
      return `pipe_target: ${(error as Error).message}`;
    }
  } else {
    const group = readGroupStep(pipe.pipe_target_group);
    if (typeof group === "string") return `pipe_target_group: ${group}`;
    next = group;
  }
  return { barrier: pipe.barrier, members, next };
}
