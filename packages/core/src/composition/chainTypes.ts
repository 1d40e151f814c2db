import type { Message } from "../message/Message";
import type { Group } from "./Group";
import type { Pipeline } from "./Pipeline";

/**
 * What a pipeline's step or a group's member may be.
 *
 * @example
 * const steps: Step[] = [add.message(1, 2), group([add.message(3)])];
 */
export type Step = Message<any, any> | Pipeline<any, any> | Group<any, any>;

/**
 * What a step yields: a message its actor's (awaited) return type, a pipeline its last
 * step's, a group the list of its members' (in member order).
 *
 * @example
 * type Sum = StepResult<ReturnType<typeof add.message>>; // number
 */
export type StepResult<S> = S extends Message<infer R, any> ? Awaited<R> : S extends Pipeline<infer R, any> ? R : S extends Group<infer Rs, any> ? Rs : unknown;

/**
 * What a step accepts from the step before it: the parameter its message left out
 * (`never` when it has every argument; `any` for `messageWithOptions`, unchecked).
 *
 * @example
 * type Takes = StepInput<ReturnType<typeof add.message<[number]>>>; // number
 */
export type StepInput<S> = S extends Message<any, infer I> ? I : S extends Pipeline<any, infer I> ? I : S extends Group<any, infer I> ? I : unknown;

/**
 * Stands in for a step that does not accept the previous step's result, so the call fails
 * to type-check; the error message shows both types.
 *
 * @example
 * pipeline([add.message(1, 2), notify.message()]); // error: ... PipeMismatch<number, string>
 */
export interface PipeMismatch<Previous, Accepted> {
  readonly "this step does not accept the previous step's result": { previous: Previous; accepts: Accepted };
}

/** Each step after the first must accept the previous step's result. */
export type CheckedSteps<T extends readonly unknown[], Previous = never, First extends boolean = true> = T extends readonly [infer A, ...infer Rest]
  ? [First extends true ? A : [Previous] extends [StepInput<A>] ? A : PipeMismatch<Previous, StepInput<A>>, ...CheckedSteps<Rest, StepResult<A>, false>]
  : T;

/** The result of a pipeline of steps `T`: its last step's. */
export type LastResult<T extends readonly unknown[]> = T extends readonly [...unknown[], infer L] ? StepResult<L> : unknown;

/** What a pipeline of steps `T` accepts: its first step's input. */
export type FirstInput<T extends readonly unknown[]> = T extends readonly [infer F, ...unknown[]] ? StepInput<F> : unknown;

/** The results of a group of members `T`, in member order. */
export type MemberResults<T extends readonly unknown[]> = { -readonly [K in keyof T]: StepResult<T[K]> };

/** What a group step accepts: what every member accepts. */
export type MembersInput<T extends readonly unknown[]> = T extends readonly [infer A, ...infer Rest] ? StepInput<A> & MembersInput<Rest> : unknown;
