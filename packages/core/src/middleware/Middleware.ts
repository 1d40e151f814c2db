import type { Actor } from "../actor/Actor";
import type { Broker } from "../broker/Broker";
import type { Message } from "../message/Message";
import type { MessageProxy } from "../message/MessageProxy";
import type { ForkFunctionRef } from "../supervision/ForkFunctionRef";
import type { Worker } from "../worker/Worker";

/** What `afterProcessMessage` learns: the actor's result, or the error it failed with. */
export interface ProcessOutcome {
  result?: unknown;
  exception?: unknown;
}

type Awaitable = void | Promise<void>;

/**
 * What an `admitMessage` hook hands back once it lets a message run: a function the
 * worker calls once the message's run is over (after the actor and the after-hooks,
 * before the ack), or when the message never runs after all (the worker stopped). It
 * gives back whatever the admission took, such as a rate-limiter slot.
 *
 * @example
 * const release: AdmissionRelease = () => limiter.release();
 */
export type AdmissionRelease = () => void | Promise<void>;

/**
 * Every hook a middleware may implement; all optional. Message hooks may be async and
 * are awaited in order. Declaration hooks (`*DeclareActor`, `*DeclareQueue`) run
 * synchronously, because actors are declared while modules load.
 */
export interface MiddlewareHooks {
  beforeAck?(broker: Broker, message: MessageProxy): Awaitable;
  afterAck?(broker: Broker, message: MessageProxy): Awaitable;
  beforeNack?(broker: Broker, message: MessageProxy): Awaitable;
  afterNack?(broker: Broker, message: MessageProxy): Awaitable;
  beforeDeclareActor?(broker: Broker, actor: Actor<any, any>): void;
  afterDeclareActor?(broker: Broker, actor: Actor<any, any>): void;
  beforeDeclareQueue?(broker: Broker, queueName: string): void;
  afterDeclareQueue?(broker: Broker, queueName: string): void;
  afterDeclareDelayQueue?(broker: Broker, queueName: string): void;
  /**
   * Options to add to a message about to be enqueued (before `beforeEnqueue`, which sees
   * the message frozen): return them, or `undefined` for none. Synchronous; runs on every
   * enqueue (sends, retries, delayed-message moves, pipeline steps).
   */
  messageOptions?(broker: Broker, message: Message): Readonly<Record<string, unknown>> | undefined;
  beforeEnqueue?(broker: Broker, message: Message, delay: number | undefined): Awaitable;
  afterEnqueue?(broker: Broker, message: Message, delay: number | undefined): Awaitable;
  beforeDelayMessage?(broker: Broker, message: MessageProxy): Awaitable;
  /**
   * Admission: called once a message is ready to run, before it takes one of the
   * worker's concurrency slots. Return nothing to let it through at once (the worker
   * then costs nothing extra), or a promise: the message waits outside the worker's
   * concurrency, so other messages keep running, until the promise resolves, optionally
   * with an {@link AdmissionRelease}. `signal` aborts when the worker stops or loses the
   * message's consumer; the hook should then settle soon (the message goes back to the
   * broker, unstarted, and any release it resolves with is called at once). Throwing
   * {@link SkipMessage} (after `message.fail()` to dead-letter it) skips the message;
   * any other error fails this attempt as if the actor had thrown it (it is retried).
   * Waiting messages count against the consumer's prefetch, which bounds them.
   */
  admitMessage?(broker: Broker, message: MessageProxy, signal: AbortSignal): void | AdmissionRelease | Promise<void | AdmissionRelease>;
  /** May throw {@link SkipMessage} to skip the actor. */
  beforeProcessMessage?(broker: Broker, message: MessageProxy): Awaitable;
  afterProcessMessage?(broker: Broker, message: MessageProxy, outcome: ProcessOutcome): Awaitable;
  afterSkipMessage?(broker: Broker, message: MessageProxy): Awaitable;
  afterProcessBoot?(broker: Broker): Awaitable;
  beforeWorkerBoot?(broker: Broker, worker: Worker): Awaitable;
  afterWorkerBoot?(broker: Broker, worker: Worker): Awaitable;
  beforeWorkerShutdown?(broker: Broker, worker: Worker): Awaitable;
  afterWorkerShutdown?(broker: Broker, worker: Worker): Awaitable;
  /** A consumer (one per queue and delay queue) started; `queueName` names its queue. */
  afterConsumerThreadBoot?(broker: Broker, queueName: string): Awaitable;
  beforeConsumerThreadShutdown?(broker: Broker, queueName: string): Awaitable;
  /** One of the worker's `concurrency` processing slots started; `slot` is its index. */
  afterWorkerThreadBoot?(broker: Broker, slot: number): Awaitable;
  beforeWorkerThreadShutdown?(broker: Broker, slot: number): Awaitable;
}

/** The name of any hook. */
export type HookName = keyof MiddlewareHooks;

/**
 * Base class of middleware: implement any hooks of {@link MiddlewareHooks} and list the
 * actor options you read in `actorOptions` (camelCase; on the wire they are snake_case).
 *
 * @example
 * class Audit extends Middleware {
 *   override readonly actorOptions = ["audit"];
 *   override async afterProcessMessage(_b: Broker, m: MessageProxy) { console.log("done", m.messageId) }
 * }
 * broker.addMiddleware(new Audit());
 */
// The class and the hooks interface merge on purpose: hooks are optional methods.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export abstract class Middleware {
  /** Actor options this middleware reads; `actor(fn, { ... })` accepts only the union of these. */
  readonly actorOptions: readonly string[] = [];
  /**
   * Functions the `q` command runs in processes of their own next to the worker processes
   * (e.g. a metrics HTTP server), named by module and export; see {@link ForkFunctionRef}.
   */
  readonly forks: readonly ForkFunctionRef[] = [];

  /**
   * Checks the actor options this middleware owns when an actor is declared;
   * returns one sentence per problem (empty when all is well).
   */
  validateActorOptions?(options: Readonly<Record<string, unknown>>): string[];
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface Middleware extends MiddlewareHooks {}
