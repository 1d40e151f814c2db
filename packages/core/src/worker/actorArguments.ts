import type { Actor } from "../actor/Actor";
import { ArgumentError } from "../errors/ArgumentError";
import type { MessageProxy } from "../message/MessageProxy";

/**
 * Internal: what the worker calls `actor.fn` with for `message`, checked against the
 * function's parameters (worked out when the actor was declared) as Python checks a call:
 * too many or too few positional arguments throw {@link ArgumentError}, which the
 * message's retry policy handles as Dramatiq handles Python's TypeError. With
 * `acceptKwargs`, the kwargs object takes the last parameter's place, after `undefined`
 * for each defaulted positional parameter the message leaves out (so the defaults apply).
 */
export function actorArguments(actor: Actor<any, any>, message: MessageProxy): readonly unknown[] {
  const { min, max } = actor.arity;
  const args = message.args;
  const n = args.length;
  if (!actor.acceptKwargs) {
    if (n < min || n > max) throw mismatch(actor, message, min, max);
    return args;
  }
  const kwargs = { ...message.kwargs };
  if (max === Infinity) {
    // No parameter list to place the kwargs in: they go last, as given.
    const least = Math.max(min - 1, 0);
    if (n < least) throw mismatch(actor, message, least, Infinity);
    return [...args, kwargs];
  }
  const positional = Math.max(max - 1, 0);
  const least = Math.min(min, positional);
  if (n < least || n > positional) throw mismatch(actor, message, least, positional);
  const call: unknown[] = [...args];
  while (call.length < positional) call.push(undefined);
  call.push(kwargs);
  return call;
}

function mismatch(actor: Actor<any, any>, message: MessageProxy, least: number, most: number): ArgumentError {
  const n = message.args.length;
  const expected = least === most ? `${least}` : most === Infinity ? `at least ${least}` : `${least} to ${most}`;
  const hint =
    n < least
      ? " (A TypeScript optional parameter `b?: T` is a required one at run time; give it a default, `b: T | undefined = undefined`, to make it optional.)"
      : "";
  return new ArgumentError(
    `Actor '${actor.actorName}' takes ${expected} positional argument${least === 1 && (most === 1 || most === Infinity) ? "" : "s"} but message ${message.messageId} has ${n}.${hint}`,
  );
}
