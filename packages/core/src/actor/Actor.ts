import type { Broker } from "../broker/Broker";
import type { Logger } from "../logging/Logger";
import type { Message } from "../message/Message";
import type { ActorOptions } from "./ActorOptions";
import type { ParameterRange } from "./parameterRange";
import type { SendOptions } from "./SendOptions";

/** The parameters of `A` after the prefix `P`. */
type After<A extends unknown[], P extends unknown[]> = P extends []
  ? A
  : number extends A["length"]
    ? A // a rest parameter: what follows the fixed ones is not tracked
    : P extends [unknown?, ...infer PR]
      ? A extends [unknown?, ...infer AR]
        ? After<AR, PR>
        : []
      : A;

/**
 * The parameter a pipeline fills in when a message was built with the arguments `P`:
 * the first one left out, or `never` when none is.
 *
 * @example
 * type Filled = NextParameter<[a: number, b: string], [number]>; // string
 */
export type NextParameter<A extends unknown[], P extends unknown[]> = number extends P["length"]
  ? any
  : After<A, P> extends infer Rest extends unknown[] ? (Rest["length"] extends 0 ? never : Rest[0]) : never;

/**
 * A function declared as an actor. Calling it runs the function inline; `send`
 * enqueues a message for a worker. `Args` are exactly the function's parameters
 * (minus the kwargs parameter with `acceptKwargs`), `R` its awaited result.
 *
 * @example
 * const add = actor(function add(a: number, b: number) { return a + b });
 * await add.send(1, 2);        // enqueued
 * add(1, 2);                   // 3, inline
 * // add.send("1", 2)          // type error
 */
export interface Actor<Args extends unknown[], R, Kwargs = never> {
  (...args: Args): R | Promise<R>;
  readonly actorName: string;
  readonly queueName: string;
  readonly priority: number;
  readonly broker: Broker;
  /** The middleware options the actor was declared with (camelCase). */
  readonly options: Readonly<ActorOptions>;
  readonly acceptKwargs: boolean;
  /** The function itself. */
  readonly fn: (...args: any[]) => unknown;
  /**
   * How many arguments `fn` takes (kwargs parameter included), read once from its
   * parameter list at declaration; `max` is `Infinity` when there is no upper bound
   * (a rest parameter, `arguments`, a bound function). The worker fails a message
   * whose argument count does not fit.
   */
  readonly arity: ParameterRange;
  /** The actor's logger (named `<queue>.<actor>`). */
  readonly logger: Logger;
  /** Enqueues a message with these arguments; resolves to the message as enqueued. */
  send(...args: Args): Promise<Message<R>>;
  /** Enqueues with arguments, kwargs, a delay and per-message options. */
  sendWithOptions(options: SendOptions<Args, Kwargs>): Promise<Message<R>>;
  /**
   * Builds (does not enqueue) a message, e.g. for pipelines and groups. Takes a prefix
   * of the parameters: a pipeline step receives the previous result as its last one.
   */
  message<P extends Partial<Args>>(...args: P): Message<R, NextParameter<Args, P>>;
  /**
   * Like {@link Actor.message}, with options; `args` may be a prefix of the parameters.
   * What it accepts in a pipeline is not checked (`pipeIgnore` may be among the options).
   */
  messageWithOptions(options: SendOptions<Partial<Args>, Kwargs>): Message<R, any>;
}
