import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { qName } from "../broker/queueNames";
import type { Encoder } from "../encoding/Encoder";
import { getEncoder } from "../encoding/globalEncoder";
import { ArgumentError } from "../errors/ArgumentError";
import { DecodeError } from "../errors/DecodeError";
import { ResultFailure } from "../errors/ResultFailure";
import { ResultMissing } from "../errors/ResultMissing";
import { ResultTimeout } from "../errors/ResultTimeout";
import { errorTypeName } from "../errors/errorTypeName";
import { computeBackoff } from "../middleware/computeBackoff";
import { Missing } from "./Missing";

/** What a result is stored under: the parts of a message that name it. */
export interface ResultKeyParts {
  readonly queueName: string;
  readonly actorName: string;
  readonly messageId: string;
}

/** Options of every {@link ResultBackend}. */
export interface ResultBackendOptions {
  /** The first part of every key; default `"dramatiq-results"` (Dramatiq's). */
  namespace?: string;
  /** Turns results into bytes and back; default the global encoder (Dramatiq's JSON). */
  encoder?: Encoder;
  /**
   * Store under the readable key `namespace:queue:actor:id` instead of its MD5 digest
   * (Dramatiq 2.2's `use_namespace_prefix_keys`); default false, Dramatiq's default. Every
   * peer reading a result must use the same mode: there is no migration between the two.
   */
  useNamespacePrefixKeys?: boolean;
}

/** How {@link ResultBackend.getResult} waits. */
export interface GetResultOptions {
  /** Wait for the result to be stored instead of throwing {@link ResultMissing} at once; default false. */
  block?: boolean;
  /** How long a blocking call waits, in ms (sub-second values are honoured); default 10000. */
  timeout?: number;
}

/** The `__t` tag of Dramatiq's stored exceptions. */
const EXCEPTION_TAG = "dramatiq.results.Result";
/** Dramatiq's default `get_result` timeout. */
export const DEFAULT_RESULT_TIMEOUT = 10_000;
/** Dramatiq's polling backoff factor (ms) for backends that cannot block. */
const POLL_FACTOR = 100;

/**
 * Where the Results middleware stores actors' results, and where `getResult` reads them
 * (Dramatiq's `ResultBackend`). Keys and values are Dramatiq's: the MD5 hex digest of
 * `namespace:queue:actor:message_id` (or that string itself with `useNamespacePrefixKeys`),
 * and the encoder's bytes of the result, or `{"__t": "dramatiq.results.Result", "exn":
 * {"type", "msg"}}` for a failure. So a Python Dramatiq peer reads what @q stores, and the
 * reverse.
 *
 * A backend implements {@link ResultBackend.getRaw} and {@link ResultBackend.storeRaw}; one
 * that can block on the server (Redis) also overrides {@link ResultBackend.waitRaw},
 * which otherwise polls with Dramatiq's backoff (100 ms doubling, at most 2 s between
 * reads), up to the deadline.
 *
 * @example
 * class MapBackend extends ResultBackend {
 *   private readonly map = new Map<string, Buffer>();
 *   protected async getRaw(key: string) { return this.map.get(key) ?? Missing; }
 *   protected async storeRaw(key: string, data: Buffer) { this.map.set(key, data); }
 * }
 */
export abstract class ResultBackend {
  readonly namespace: string;
  readonly useNamespacePrefixKeys: boolean;
  private readonly ownEncoder: Encoder | undefined;

  constructor(options: ResultBackendOptions = {}) {
    const { namespace = "dramatiq-results", encoder, useNamespacePrefixKeys = false } = options;
    if (typeof namespace !== "string" || namespace === "") throw new ArgumentError(`A result backend's namespace must be a non-empty string, got ${String(namespace)}.`);
    this.namespace = namespace;
    this.ownEncoder = encoder;
    this.useNamespacePrefixKeys = useNamespacePrefixKeys === true;
  }

  /** The encoder in use: the one given, else the global one at the time of use. */
  get encoder(): Encoder {
    return this.ownEncoder ?? getEncoder();
  }

  /**
   * The key a message's result lives under, exactly as Dramatiq builds it (the queue
   * without its `.DQ`/`.XQ` suffix).
   *
   * @example
   * backend.buildMessageKey({ queueName: "default", actorName: "add", messageId: id }) // "9ef4…" (MD5 hex)
   */
  buildMessageKey(message: ResultKeyParts): string {
    const key = `${this.namespace}:${qName(message.queueName)}:${message.actorName}:${message.messageId}`;
    return this.useNamespacePrefixKeys ? key : createHash("md5").update(key).digest("hex");
  }

  /**
   * The stored result of `message`. Throws {@link ResultMissing} when there is none (yet)
   * and `block` is false, {@link ResultTimeout} when a blocking wait runs out, and
   * {@link ResultFailure} (with the remote error's type and message) when the actor failed
   * for good.
   *
   * @example
   * const sum = await backend.getResult(message, { block: true, timeout: 5_000 });
   */
  async getResult<R = unknown>(message: ResultKeyParts, options: GetResultOptions = {}): Promise<R> {
    const { block = false, timeout = DEFAULT_RESULT_TIMEOUT } = options;
    if (typeof timeout !== "number" || !(timeout >= 0)) throw new ArgumentError(`getResult: timeout must be a non-negative number of milliseconds, got ${String(timeout)}.`);
    const key = this.buildMessageKey(message);
    const data = block ? await this.waitRaw(key, timeout) : await this.getRaw(key);
    if (data === Missing) {
      if (block) throw new ResultTimeout(`The result of message ${message.messageId} (${message.actorName}) was not stored within ${timeout} ms.`);
      throw new ResultMissing(`The result of message ${message.messageId} (${message.actorName}) is not stored (yet, or it expired).`);
    }
    return this.unwrap(data, message) as R;
  }

  /**
   * Stores an actor's result for `ttl` ms.
   *
   * @example
   * await backend.storeResult(message, 42, 600_000);
   */
  async storeResult(message: ResultKeyParts, result: unknown, ttl: number): Promise<void> {
    await this.storeRaw(this.buildMessageKey(message), this.encoder.encode(result === undefined ? null : result), ttl);
  }

  /**
   * Stores a failure as Dramatiq does, so readers in either language get a
   * {@link ResultFailure} with `type` (the error's class name) and its message.
   *
   * @example
   * await backend.storeException(message, new TypeError("bad input"), 600_000);
   */
  async storeException(message: ResultKeyParts, error: unknown, ttl: number): Promise<void> {
    const msg = error instanceof Error ? error.message : String(error);
    await this.storeResult(message, { __t: EXCEPTION_TAG, exn: { type: errorTypeName(error), msg } }, ttl);
  }

  /** Closes the backend's connections; default: nothing to close. */
  async close(): Promise<void> {}

  /** The bytes stored under `key`, or {@link Missing}. */
  protected abstract getRaw(key: string): Promise<Buffer | typeof Missing>;

  /** Stores `data` under `key` for `ttl` ms, replacing what was there. */
  protected abstract storeRaw(key: string, data: Buffer, ttl: number): Promise<void>;

  /**
   * The bytes under `key` once they are stored, or {@link Missing} after `timeout` ms.
   * This default polls `getRaw` with Dramatiq's backoff and reads once more at the
   * deadline; override it where the server can block or notify.
   */
  protected async waitRaw(key: string, timeout: number): Promise<Buffer | typeof Missing> {
    const deadline = performance.now() + timeout;
    for (let attempts = 0; ; attempts++) {
      const data = await this.getRaw(key);
      if (data !== Missing) return data;
      const left = deadline - performance.now();
      if (left <= 0) return Missing;
      await sleep(Math.min(computeBackoff(attempts, { factor: POLL_FACTOR }), left));
    }
  }

  private unwrap(data: Buffer, message: ResultKeyParts): unknown {
    let value: unknown;
    try {
      value = this.encoder.decode(data);
    } catch (cause) {
      throw new DecodeError(`The stored result of message ${message.messageId} cannot be decoded: ${(cause as Error).message ?? cause}`, data, { cause });
    }
    if (isStoredException(value)) {
      const { type, msg } = value.exn;
      throw new ResultFailure(`actor raised ${type}: ${msg}`, type, msg);
    }
    return value;
  }
}

function isStoredException(value: unknown): value is { __t: string; exn: { type: string; msg: string } } {
  if (typeof value !== "object" || value === null) return false;
  const v = value as { __t?: unknown; exn?: { type?: unknown; msg?: unknown } };
  return v.__t === EXCEPTION_TAG && typeof v.exn === "object" && v.exn !== null && typeof v.exn.type === "string" && typeof v.exn.msg === "string";
}
