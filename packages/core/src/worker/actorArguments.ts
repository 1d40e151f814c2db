import type { Actor } from "../actor/Actor";
import type { ParameterRange } from "../actor/parameterRange";
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
  const args = message.args;
  const bounds = positionalBounds(actor.arity, actor.acceptKwargs);
  const n = args.length;
  if (n < bounds.least || n > bounds.most) throw argumentCountError(actor.actorName, `message ${message.messageId} has ${n}`, n, bounds);
  if (!actor.acceptKwargs) return args;
  const kwargs = { ...message.kwargs };
  if (bounds.most === Infinity) return [...args, kwargs]; // no parameter list to place them in: last, as given
  const call: unknown[] = [...args];
  while (call.length < bounds.most) call.push(undefined);
  call.push(kwargs);
  return call;
}

/** How many positional arguments a message for the actor may carry. */
export function positionalBounds(arity: ParameterRange, acceptKwargs: boolean): { least: number; most: number } {
  if (!acceptKwargs) return { least: arity.min, most: arity.max };
  // The kwargs object takes the last parameter.
  if (arity.max === Infinity) return { least: Math.max(arity.min - 1, 0), most: Infinity };
  const most = Math.max(arity.max - 1, 0);
  return { least: Math.min(arity.min, most), most };
}

/** The ArgumentError for a call with `n` positional arguments outside `bounds`; `what` says whose call. */
export function argumentCountError(actorName: string, what: string, n: number, bounds: { least: number; most: number }): ArgumentError {
  const { least, most } = bounds;
  const expected = least === most ? `${least}` : most === Infinity ? `at least ${least}` : `${least} to ${most}`;
  const hint =
    n < least
      ? " (A TypeScript optional parameter `b?: T` is a required one at run time; give it a default, `b: T | undefined = undefined`, to make it optional.)"
      : "";
  return new ArgumentError(
    `Actor '${actorName}' takes ${expected} positional argument${least === 1 && (most === 1 || most === Infinity) ? "" : "s"} but ${what}.${hint}`,
  );
}
