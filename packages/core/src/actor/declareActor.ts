// `actor()`. Not actor.ts: Actor.ts (the type of what it returns) is beside it, and on
// case-insensitive file systems (macOS, Windows) the two names are one file.
import type { Actor } from "./Actor";
import type { ActorOptions } from "./ActorOptions";
import type { SendOptions } from "./SendOptions";
import { parameterRange } from "./parameterRange";
import type { Broker } from "../broker/Broker";
import { getBroker } from "../broker/globalBroker";
import { QUEUE_NAME_PATTERN } from "../broker/queueNames";
import { assertJsonSafe } from "../encoding/assertJsonSafe";
import { argumentCountError, positionalBounds } from "../worker/actorArguments";
import { startingRun } from "../worker/startingRun";
import { ActorDefinitionError } from "../errors/ActorDefinitionError";
import { ArgumentError } from "../errors/ArgumentError";
import { Message } from "../message/Message";
import { toWireKey } from "../options/toWireKey";

/** The parameters before the last one; an optional (defaulted) last one counts too. */
type DropLast<T extends unknown[]> = T extends [...infer Head, unknown]
  ? Head
  : number extends T["length"]
    ? T
    : T extends [unknown?]
      ? []
      : T extends [infer H, ...infer R]
        ? [H, ...DropLast<R>]
        : T extends [(infer H)?, ...infer R]
          ? [H?, ...DropLast<R>]
          : T;
/** The last parameter's type (with `undefined` when it is optional). */
type Last<T extends unknown[]> = T extends [...unknown[], infer L]
  ? L
  : number extends T["length"]
    ? never
    : T extends []
      ? never
      : T extends [(infer L)?]
        ? L | undefined
        : T extends [unknown?, ...infer R]
          ? Last<R>
          : never;

/** Keys of ActorOptions that configure the declaration rather than a middleware. */
const DECLARATION_KEYS = new Set(["actorName", "queueName", "priority", "broker", "acceptKwargs"]);
/** Options that hold functions or classes: they exist on the actor only, never in a message. */
const ACTOR_ONLY = new Set(["retryWhen", "throws"]);
/** Message-only options (not actor options). */
const MESSAGE_ONLY = new Set(["brokerPriority"]);
/** Options naming another actor: an Actor is replaced by its name. */
const ACTOR_REFERENCES = new Set(["onSuccess", "onFailure", "onRetryExhausted"]);
// Python identifiers may use any letters; also allow the dotted/colon names some apps use.
/** Shared by every message without kwargs or options (frozen, so never copied). */
const EMPTY: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;
const ACTOR_NAME_PATTERN = /^[\p{L}_][\p{L}\p{N}_.:-]*$/u;

/**
 * Declares `fn` as an actor on the global broker (or `options.broker`) and returns it.
 * The name, queue and options are checked now: a bad one throws ActorDefinitionError.
 * Arguments are checked at send time: anything JSON cannot carry throws EncodeError.
 *
 * @example
 * setBroker(new StubBroker());
 * export const sendEmail = actor(async function sendEmail(to: string) { ... }, { maxRetries: 3 });
 * await sendEmail.send("ada@example.com");
 * await sendEmail.sendWithOptions({ args: ["bob@example.com"], delay: 60_000 });
 */
export function actor<F extends (...args: any[]) => any>(
  fn: F,
  options: ActorOptions & { acceptKwargs: true },
): Actor<DropLast<Parameters<F>>, Awaited<ReturnType<F>>, Last<Parameters<F>>>;
export function actor<F extends (...args: any[]) => any>(
  fn: F,
  options?: ActorOptions,
): Actor<Parameters<F>, Awaited<ReturnType<F>>>;
export function actor(fn: (...args: any[]) => any, options: ActorOptions = {}): Actor<any[], unknown, any> {
  if (typeof fn !== "function") throw new ActorDefinitionError("actor() takes a function as its first argument");
  const actorName = options.actorName ?? fn.name;
  if (typeof actorName !== "string" || !ACTOR_NAME_PATTERN.test(actorName)) {
    throw new ActorDefinitionError(
      actorName
        ? `Invalid actor name ${JSON.stringify(actorName)}: it must match ${ACTOR_NAME_PATTERN} (pass { actorName }).`
        : "An actor needs a name: declare a named function or pass { actorName }.",
    );
  }
  const queueName = options.queueName ?? "default";
  if (typeof queueName !== "string" || !QUEUE_NAME_PATTERN.test(queueName)) {
    throw new ActorDefinitionError(
      `Queue names must start with a letter or underscore and contain only letters, digits, dots, dashes and underscores; got ${JSON.stringify(queueName)}.`,
    );
  }
  if (/\.(DQ|XQ)$/.test(queueName)) {
    throw new ActorDefinitionError(`Queue name ${JSON.stringify(queueName)} ends in .DQ or .XQ, which are reserved for delay and dead-letter queues.`);
  }
  const priority = options.priority ?? 0;
  if (!Number.isInteger(priority)) throw new ActorDefinitionError(`Actor ${actorName}: priority must be an integer, got ${priority}.`);
  const broker: Broker = options.broker ?? getBroker();

  const middlewareOptions: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (DECLARATION_KEYS.has(key) || value === undefined) continue;
    if (!broker.actorOptions.has(key)) unknown.push(key);
    else middlewareOptions[key] = ACTOR_REFERENCES.has(key) ? actorReference(actorName, key, value, ActorDefinitionError) : value;
  }
  if (unknown.length) {
    throw new ActorDefinitionError(
      `Actor ${actorName}: unknown option(s) ${unknown.join(", ")}. Valid options are: ${[...broker.actorOptions].sort().join(", ")}.`,
    );
  }
  for (const m of broker.middleware) {
    const problems = m.validateActorOptions?.(middlewareOptions) ?? [];
    if (problems.length) throw new ActorDefinitionError(`Actor ${actorName}: ${problems.join("; ")}.`);
  }
  if (broker.actors.has(actorName)) {
    throw new ActorDefinitionError(`An actor named ${actorName} is already registered.`);
  }

  const acceptKwargs = options.acceptKwargs === true;
  const logger = broker.rootLogger.child({ name: `${queueName}.${actorName}` });

  const arity = Object.freeze(parameterRange(fn));
  // Too few arguments, which the worker would refuse, fail here instead, where the mistake
  // is made: in TypeScript, mostly an optional parameter (`b?: T`), which is required at run
  // time. Too many are not checked at send: a producer may declare the actor with a stand-in
  // that takes fewer parameters than the worker's function (TypeScript allows that).
  const bounds = positionalBounds(arity, acceptKwargs);
  const checkCount = (args: readonly unknown[]): void => {
    const n = args.length;
    if (n < bounds.least) throw argumentCountError(actorName, `was sent ${n}`, n, bounds);
  };
  // Where the kwargs object goes: the last parameter, as the worker places it.
  const kwargsAt = acceptKwargs && arity.max !== Infinity ? Math.max(arity.max - 1, 0) : 0;

  const inline = function (this: unknown, ...args: unknown[]) {
    logger.debug(`Received args=${safeStringify(args)} kwargs={}.`);
    // currentSignal() in an inline call: the signal of a run this call is part of, if any.
    const outer = startingRun.current;
    startingRun.current = outer ?? "inline";
    try {
      if (!acceptKwargs) return fn(...args);
      while (args.length < kwargsAt) args.push(undefined);
      return fn(...args, {});
    } finally {
      startingRun.current = outer;
    }
  };

  const messageWithOptions = (send: SendOptions<any[], any>): Message => {
    const { args = [], kwargs, ...rest } = send;
    if (!Array.isArray(args)) throw new ArgumentError(`${actorName}: args must be an array.`);
    assertJsonSafe(args, "args");
    if (kwargs !== undefined && kwargs !== null) {
      if (typeof kwargs !== "object" || Array.isArray(kwargs)) throw new ArgumentError(`${actorName}: kwargs must be a plain object.`);
      if (!acceptKwargs && Object.keys(kwargs).length) {
        throw new ArgumentError(`${actorName} takes no keyword arguments; declare it with { acceptKwargs: true }.`);
      }
      assertJsonSafe(kwargs, "kwargs");
    }
    let wireOptions: Record<string, unknown> = EMPTY;
    for (const key in rest) {
      const value = rest[key];
      if (value === undefined) continue;
      if (wireOptions === EMPTY) wireOptions = {};
      if (ACTOR_ONLY.has(key)) throw new ArgumentError(`${key} cannot travel in a message (it is code); set it on the actor.`);
      if (!broker.actorOptions.has(key) && !MESSAGE_ONLY.has(key) && key !== "delay") {
        const valid = [...broker.actorOptions, ...MESSAGE_ONLY, "delay"].filter((k) => !ACTOR_ONLY.has(k)).sort();
        throw new ArgumentError(`${actorName}: unknown message option ${key}. Valid options are: ${valid.join(", ")}.`);
      }
      wireOptions[toWireKey(key)] = ACTOR_REFERENCES.has(key) ? actorReference(actorName, key, value, ArgumentError) : value;
    }
    if (wireOptions !== EMPTY) {
      for (const m of broker.middleware) {
        const problems = m.validateActorOptions?.(rest) ?? [];
        if (problems.length) throw new ArgumentError(`${actorName}: ${problems.join("; ")}.`);
      }
      // "No time limit" travels as Infinity (written as Python's token): a Python worker reads
      // a null time_limit as "the default", 10 minutes.
      const noTimeLimit = "time_limit" in wireOptions && (wireOptions.time_limit === null || wireOptions.time_limit === Infinity);
      if (noTimeLimit) delete wireOptions.time_limit;
      assertJsonSafe(wireOptions, "options");
      if (noTimeLimit) wireOptions.time_limit = Infinity;
    }
    return new Message({
      queueName,
      actorName,
      args,
      kwargs: (kwargs as Record<string, unknown>) ?? EMPTY,
      options: wireOptions,
    });
  };

  // message(...args) and send(...args): no kwargs or options, and the rest array is
  // fresh and ours, so it is frozen instead of copied.
  const plainMessage = (args: unknown[]): Message => {
    assertJsonSafe(args, "args");
    return new Message({ queueName, actorName, args: Object.freeze(args), kwargs: EMPTY, options: EMPTY });
  };

  const self = inline as unknown as Actor<any[], unknown, any>;
  Object.defineProperties(self, {
    name: { value: actorName },
    actorName: { value: actorName, enumerable: true },
    queueName: { value: queueName, enumerable: true },
    priority: { value: priority, enumerable: true },
    broker: { value: broker },
    options: { value: Object.freeze(middlewareOptions), enumerable: true },
    acceptKwargs: { value: acceptKwargs, enumerable: true },
    fn: { value: fn },
    arity: { value: arity },
    logger: { value: logger },
    message: { value: (...args: unknown[]) => plainMessage(args) },
    messageWithOptions: { value: (send: SendOptions<any[], any>) => messageWithOptions(send) },
    // async: a bad argument rejects the returned promise rather than throwing.
    send: {
      value: async (...args: unknown[]) => {
        checkCount(args);
        return broker.enqueue(plainMessage(args));
      },
    },
    sendWithOptions: {
      value: async (send: SendOptions<any[], any>) => {
        const { delay, ...rest } = send;
        if (delay !== undefined && (typeof delay !== "number" || !Number.isFinite(delay) || delay < 0)) {
          throw new ArgumentError(`${actorName}: delay must be a non-negative number of milliseconds, got ${String(delay)}.`);
        }
        checkCount(Array.isArray(rest.args) ? rest.args : []);
        return broker.enqueue(messageWithOptions(rest), { delay });
      },
    },
    toString: { value: () => `Actor(${actorName})` },
  });
  broker.declareActor(self);
  return self;
}

/** JSON for a debug line; never throws (inline calls may pass BigInts or cycles). */
function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function actorReference(
  actorName: string,
  key: string,
  value: unknown,
  ErrorType: new (message: string) => Error,
): string | null {
  if (value === null || typeof value === "string") return value;
  if (typeof value === "function" && typeof (value as { actorName?: unknown }).actorName === "string") {
    return (value as unknown as { actorName: string }).actorName;
  }
  throw new ErrorType(`${actorName}: ${key} must be an actor or an actor name.`);
}
