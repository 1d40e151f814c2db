import type { Broker } from "../broker/Broker";
import { uuid4 } from "../ids/uuid4";
import { Message } from "../message/Message";
import { Barrier } from "../ratelimits/Barrier";
import { GroupCallbacks } from "../middleware/GroupCallbacks";
import { requireMiddleware } from "./requireMiddleware";

/** Internal: reports an option that cannot be used (the middleware's `warnInvalid`). */
export type WarnInvalid = (wire: string, value: unknown, consequence: string) => void;

/**
 * Internal: enqueues a pipeline step, a message or the members of a group step, with
 * `previous.result` appended to each message's arguments unless it ignores it
 * (`pipe_ignore` on the message, else the receiving actor's `pipeIgnore`), after each
 * message's own `delay` (or `atLeast` ms, when that is longer: `pipeline.run({ delay })`). A group step first gets a fresh barrier, one party per member,
 * whose id goes into every member's `group_pipe.barrier`: the GroupCallbacks middleware
 * sends the step after the group when it clears.
 *
 * @example
 * await sendStep(broker, next, { result }, warn);
 */
export async function sendStep(broker: Broker, step: Message | readonly Message[], previous: { result: unknown } | undefined, warn: WarnInvalid, atLeast = 0): Promise<void> {
  if (step instanceof Message) {
    await broker.enqueue(...prepared(broker, step, previous, warn, "pipe_target", atLeast));
    return;
  }
  const callbacks = requireMiddleware(broker, GroupCallbacks, "A pipeline with a group step", "new GroupCallbacks(rateLimiterBackend)");
  const barrier = uuid4();
  await new Barrier(callbacks.backend, barrier, { ttl: callbacks.barrierTtl }).create(step.length);
  for (const [i, member] of step.entries()) {
    const marked = withBarrier(member, barrier);
    await broker.enqueue(...prepared(broker, marked, previous, warn, `pipe_target_group.members[${i}]`, atLeast));
  }
}

function withBarrier(member: Message, barrier: string): Message {
  const pipe = member.options.group_pipe;
  if (typeof pipe !== "object" || pipe === null || Array.isArray(pipe)) return member; // the last step: nothing waits on it
  return member.copy({ options: { group_pipe: { ...pipe, barrier } } });
}

function prepared(broker: Broker, next: Message, previous: { result: unknown } | undefined, warn: WarnInvalid, where: string, atLeast: number): [Message, { delay?: number }] {
  if (previous) {
    const receiver = broker.actors.get(next.actorName);
    let ignore = next.options.pipe_ignore;
    if (ignore !== undefined && ignore !== null && typeof ignore !== "boolean") {
      warn(`${where}.options.pipe_ignore`, ignore, "expected true, false or null; using the receiving actor's pipeIgnore");
      ignore = undefined;
    }
    const { result } = previous;
    if (!(ignore ?? receiver?.options.pipeIgnore ?? false)) next = next.copy({ args: [...next.args, result === undefined ? null : result] });
  }
  let delay = next.options.delay;
  if (delay !== undefined && delay !== null && !(typeof delay === "number" && Number.isFinite(delay) && delay >= 0)) {
    warn(`${where}.options.delay`, delay, "expected a non-negative number of milliseconds; sending the next step now");
    delay = undefined;
  }
  const wait = Math.max(typeof delay === "number" ? delay : 0, atLeast);
  return [next, { delay: wait > 0 ? wait : undefined }];
}
