import { uuid4 } from "../ids/uuid4";
import { getEncoder } from "../encoding/globalEncoder";
import { DecodeError } from "../errors/DecodeError";
import type { Broker } from "../broker/Broker";
import type { GetResultOptions, ResultBackend } from "../results/ResultBackend";
import { resultBackendOf } from "../results/resultBackendOf";
import type { MessageData } from "./MessageData";
import { formatCall } from "./formatCall";
import { peekMessageId } from "./peekMessageId";
import type { PipeMismatch, StepInput, StepResult } from "../composition/chainTypes";
import type { Group } from "../composition/Group";
import { Pipeline } from "../composition/Pipeline";

/** What a new {@link Message} is made of; ids and timestamps are generated when absent. */
export interface MessageInit {
  queueName: string;
  actorName: string;
  args?: readonly unknown[];
  kwargs?: Readonly<Record<string, unknown>>;
  options?: Readonly<Record<string, unknown>>;
  messageId?: string;
  messageTimestamp?: number;
}

const FIELDS = ["queue_name", "actor_name", "args", "kwargs", "options", "message_id", "message_timestamp"];
const FIELD_SET: ReadonlySet<string> = new Set(FIELDS);
const REQUIRED = ["queue_name", "actor_name", "args", "kwargs", "options"];

/**
 * One unit of work: which actor to run on which queue, with what arguments and options.
 * Immutable; {@link Message.copy} makes a changed copy that keeps `messageId` and
 * `messageTimestamp`, which identify the logical job across retries and delays.
 * `R` is the actor's result type, carried for result look-ups; `In` is what the message
 * accepts as its missing last argument when it follows another pipeline step.
 *
 * @example
 * const m = new Message({ queueName: "default", actorName: "add", args: [1, 2] });
 * const bytes = m.encode(); // Dramatiq's exact JSON
 * Message.decode(bytes).messageId === m.messageId; // true
 */
export class Message<R = unknown, In = unknown> {
  readonly queueName: string;
  readonly actorName: string;
  readonly args: readonly unknown[];
  readonly kwargs: Readonly<Record<string, unknown>>;
  readonly options: Readonly<Record<string, unknown>>;
  readonly messageId: string;
  readonly messageTimestamp: number;
  /** Phantom: the actor's result type. Never set. */
  declare readonly __result?: R;
  /** Phantom: what a pipeline may append to the arguments. Never set. */
  declare readonly __accepts?: In;

  constructor(init: MessageInit) {
    this.queueName = init.queueName;
    this.actorName = init.actorName;
    // Frozen input is already immutable (decoded messages, copies): share it, don't copy.
    this.args = init.args && Object.isFrozen(init.args) ? init.args : Object.freeze([...(init.args ?? [])]);
    this.kwargs = init.kwargs && Object.isFrozen(init.kwargs) ? init.kwargs : Object.freeze({ ...(init.kwargs ?? {}) });
    this.options = init.options && Object.isFrozen(init.options) ? init.options : Object.freeze({ ...(init.options ?? {}) });
    this.messageId = init.messageId ?? uuid4();
    this.messageTimestamp = init.messageTimestamp ?? Date.now();
    Object.freeze(this);
  }

  /** The UTC time at which the message was first created. */
  get messageDatetime(): Date {
    return new Date(this.messageTimestamp);
  }

  /**
   * A copy with some fields changed. `options` are merged into the current ones
   * (a replaced key keeps its position, new keys are appended); pass
   * `replaceOptions` to set the whole options object instead.
   */
  copy(changes: {
    queueName?: string;
    actorName?: string;
    args?: readonly unknown[];
    kwargs?: Readonly<Record<string, unknown>>;
    options?: Readonly<Record<string, unknown>>;
    replaceOptions?: Readonly<Record<string, unknown>>;
  }): Message<R, In> {
    return new Message<R, In>({
      queueName: changes.queueName ?? this.queueName,
      actorName: changes.actorName ?? this.actorName,
      args: changes.args ?? this.args,
      kwargs: changes.kwargs ?? this.kwargs,
      options: changes.replaceOptions ?? (changes.options ? Object.freeze({ ...this.options, ...changes.options }) : this.options),
      messageId: this.messageId,
      messageTimestamp: this.messageTimestamp,
    });
  }

  /** The seven wire fields in Dramatiq's order (a fresh object, safe to mutate). */
  toDict(): MessageData {
    return {
      queue_name: this.queueName,
      actor_name: this.actorName,
      args: [...this.args],
      kwargs: { ...this.kwargs },
      options: { ...this.options },
      message_id: this.messageId,
      message_timestamp: this.messageTimestamp,
    };
  }

  /** The message's bytes, with the global encoder (Dramatiq JSON by default). */
  encode(): Buffer {
    return getEncoder().encode(this.wireDict());
  }

  /**
   * The encoded message as a string when the encoder can give one (the default JSON
   * encoder can: it is ASCII), else its bytes. For brokers whose clients write strings.
   */
  encodeText(): string | Buffer {
    const encoder = getEncoder();
    return encoder.encodeText ? encoder.encodeText(this.wireDict()) : encoder.encode(this.wireDict());
  }

  /** The wire dict over the frozen fields, no copies: encoders only read it. */
  private wireDict(): MessageData {
    return {
      queue_name: this.queueName,
      actor_name: this.actorName,
      args: this.args as unknown[],
      kwargs: this.kwargs as Record<string, unknown>,
      options: this.options as Record<string, unknown>,
      message_id: this.messageId,
      message_timestamp: this.messageTimestamp,
    };
  }

  /**
   * Builds a message from its wire dict, checking it the way a worker must:
   * required fields present and well-typed, no unknown top-level keys.
   */
  static fromDict(data: unknown, raw: Buffer | string = ""): Message {
    if (typeof data !== "object" || data === null || Array.isArray(data)) {
      throw new DecodeError("a message must be a JSON object", raw);
    }
    const d = data as Record<string, unknown>;
    // What every well-formed message is: checked without building the error lists below.
    if (isWellFormed(d)) return fromWireFields(d);
    // Only for the log line of a rejected message: a well-formed id is the one thing worth reading.
    const messageId = typeof d.message_id === "string" && Object.hasOwn(d, "message_id") ? d.message_id : undefined;
    const unknown = Object.keys(d).filter((k) => !FIELDS.includes(k));
    if (unknown.length) throw new DecodeError(`unknown message field(s): ${unknown.join(", ")}`, raw, { messageId });
    // Own keys only: "args" in d would also find a polluted Object.prototype.args.
    const missing = REQUIRED.filter((k) => !Object.hasOwn(d, k));
    if (missing.length) throw new DecodeError(`missing message field(s): ${missing.join(", ")}`, raw, { messageId });
    const problems = [
      typeof d.queue_name !== "string" && "queue_name must be a string",
      typeof d.actor_name !== "string" && "actor_name must be a string",
      !Array.isArray(d.args) && "args must be an array",
      !isDict(d.kwargs) && "kwargs must be an object",
      !isDict(d.options) && "options must be an object",
      d.message_id != null && typeof d.message_id !== "string" && "message_id must be a string",
      d.message_timestamp != null && typeof d.message_timestamp !== "number" && "message_timestamp must be a number",
    ].filter(Boolean);
    if (problems.length) throw new DecodeError(`invalid message: ${problems.join("; ")}`, raw, { messageId });
    return fromWireFields(d);
  }

  /** Decodes bytes written by any Dramatiq producer; throws {@link DecodeError}. */
  static decode(data: Buffer): Message {
    let dict: unknown;
    try {
      dict = getEncoder().decode(data);
    } catch (cause) {
      // The id, if the bytes hold one where Dramatiq writes it, for the log line: the rest is unreadable.
      throw new DecodeError(`undecodable message: ${(cause as Error).message ?? cause}`, data, { cause, messageId: peekMessageId(data) });
    }
    return Message.fromDict(dict, data);
  }

  /**
   * This message's result, once its actor (declared with `storeResults: true`) has run,
   * typed by the actor's return type. Read from the Results middleware's backend of the
   * broker that enqueued the message (or `broker`, or the global broker), or from
   * `backend`. Throws {@link ResultMissing} when it is not stored yet and `block` is false,
   * {@link ResultTimeout} when a blocking wait (`timeout` ms, default 10000) runs out, and
   * {@link ResultFailure} when the actor failed for good.
   *
   * @example
   * const message = await add.send(1, 2);
   * const sum: number = await message.getResult({ block: true, timeout: 5_000 }); // 3
   */
  getResult(options: GetResultOptions & { backend?: ResultBackend; broker?: Broker } = {}): Promise<Awaited<R>> {
    try {
      return resultBackendOf(this, options, "message.getResult()").getResult<Awaited<R>>(this, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * A pipeline of this message, then `next` (Dramatiq's `message | next`), on `broker`
   * or the global broker. `next` must accept this message's result.
   *
   * @example
   * await add.message(1, 2).pipe(double.message()).pipe(store.message()).run();
   */
  pipe<N extends Message<any, any> | Pipeline<any, any> | Group<any, any>>(
    next: N & ([Awaited<R>] extends [StepInput<N>] ? unknown : PipeMismatch<Awaited<R>, StepInput<N>>),
    options: { broker?: Broker } = {},
  ): Pipeline<StepResult<N>, In> {
    return new Pipeline([this as Message, next as Message | Pipeline | Group], options) as Pipeline<StepResult<N>, In>;
  }

  /** `actor(arg1, arg2, k=v)`, as Dramatiq logs messages. */
  toString(): string {
    return formatCall(this.actorName, this.args, this.kwargs);
  }
}

function isDict(v: unknown): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The checks of {@link Message.fromDict} that a valid message passes, without allocating:
 * only wire fields, the required ones present as own keys and every field well-typed.
 * False means "look closer", and fromDict then names what is wrong.
 */
function isWellFormed(d: Record<string, unknown>): boolean {
  let required = 0;
  for (const key in d) {
    if (!Object.hasOwn(d, key)) continue;
    if (!FIELD_SET.has(key)) return false;
    if (key !== "message_id" && key !== "message_timestamp") required++;
  }
  // `for in` also walks inherited keys: an own-key count of 5 rules out a polluted prototype's.
  return (
    required === 5 &&
    typeof d.queue_name === "string" &&
    typeof d.actor_name === "string" &&
    Array.isArray(d.args) &&
    isDict(d.kwargs) &&
    isDict(d.options) &&
    (d.message_id == null || typeof d.message_id === "string") &&
    (d.message_timestamp == null || typeof d.message_timestamp === "number")
  );
}

/** A message over checked wire fields. The parsed objects are fresh and owned here: frozen in place instead of copied. */
function fromWireFields(d: Record<string, unknown>): Message {
  return new Message({
    queueName: d.queue_name as string,
    actorName: d.actor_name as string,
    args: Object.freeze(d.args as unknown[]),
    kwargs: Object.freeze(d.kwargs as Record<string, unknown>),
    options: Object.freeze(d.options as Record<string, unknown>),
    messageId: (d.message_id as string | null | undefined) ?? undefined,
    messageTimestamp: (d.message_timestamp as number | null | undefined) ?? undefined,
  });
}
