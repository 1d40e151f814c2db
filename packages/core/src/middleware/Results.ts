import type { Broker } from "../broker/Broker";
import { ArgumentError } from "../errors/ArgumentError";
import { EncodeError } from "../errors/EncodeError";
import { childLogger } from "../logging/childLogger";
import type { MessageProxy } from "../message/MessageProxy";
import { messageOption } from "../options/messageOption";
import type { ResultBackend } from "../results/ResultBackend";
import { Middleware, type ProcessOutcome } from "./Middleware";

const LOGGER = "q.middleware.results.Results";

/** Options of the {@link Results} middleware. */
export interface ResultsOptions {
  /** Where results go: `MemoryResultBackend`, or Redis/memcached from `@q/results`. */
  backend: ResultBackend;
  /** Whether actors store their results unless they say otherwise; default false, as in Dramatiq. */
  storeResults?: boolean;
  /** How long a result is kept, in ms; default 600000 (10 minutes). */
  resultTtl?: number;
}

/**
 * Stores actors' results in a {@link ResultBackend}, for `message.getResult()`, groups and
 * pipelines to read (Dramatiq's `Results`). An actor stores its results with the
 * `storeResults` option (actor or message option; `store_results` on the wire), kept for
 * `resultTtl` ms. As in Dramatiq, a failure is stored once the message is dead-lettered
 * (not per attempt: while retries are pending, the result reads as missing), and a
 * skipped message stores `null`, or its failure when it was also failed (the age limit).
 *
 * @example
 * const backend = new RedisResultBackend({ url: "redis://127.0.0.1:6379" });
 * broker.addMiddleware(new Results({ backend }));
 * const add = actor((a: number, b: number) => a + b, { storeResults: true });
 * const message = await add.send(1, 2);
 * await message.getResult({ block: true }); // 3
 */
export class Results extends Middleware {
  override readonly actorOptions = ["storeResults", "resultTtl"];
  readonly backend: ResultBackend;
  readonly storeResults: boolean;
  readonly resultTtl: number;

  constructor(options: ResultsOptions) {
    super();
    if (!options || typeof options !== "object" || typeof (options.backend as Partial<ResultBackend> | undefined)?.getResult !== "function") {
      throw new ArgumentError("Results needs a result backend: new Results({ backend: new RedisResultBackend({ url }) }).");
    }
    this.backend = options.backend;
    this.storeResults = options.storeResults ?? false;
    this.resultTtl = options.resultTtl ?? 600_000;
    const problems = this.validateActorOptions({ storeResults: this.storeResults, resultTtl: this.resultTtl });
    if (problems.length) throw new ArgumentError(`Results: ${problems.join("; ")}.`);
  }

  override validateActorOptions(options: Readonly<Record<string, unknown>>): string[] {
    const problems: string[] = [];
    const store = options.storeResults;
    if (store !== undefined && store !== null && typeof store !== "boolean") problems.push("storeResults must be true or false");
    const ttl = options.resultTtl;
    if (ttl !== undefined && ttl !== null && !(typeof ttl === "number" && Number.isFinite(ttl) && ttl > 0)) problems.push("resultTtl must be a positive number of milliseconds");
    return problems;
  }

  /** Whether `message`'s result is stored, and for how long (undefined: not stored). */
  private ttlFor(broker: Broker, message: MessageProxy): number | undefined {
    const actor = broker.actors.get(message.actorName);
    if (!actor) return undefined; // Dramatiq: an unknown actor stores nothing
    const store = messageOption<boolean | null>(broker, LOGGER, message, actor, "storeResults", this.storeResults);
    if (store !== true) return undefined;
    const ttl = messageOption<number | null>(broker, LOGGER, message, actor, "resultTtl", this.resultTtl);
    return typeof ttl === "number" && Number.isFinite(ttl) && ttl > 0 ? ttl : this.resultTtl;
  }

  override afterProcessMessage(broker: Broker, message: MessageProxy, { result, exception }: ProcessOutcome): void | Promise<void> {
    if (exception !== undefined || message.failed) return; // stored by afterNack, once, if it is dead-lettered
    const ttl = this.ttlFor(broker, message);
    if (ttl !== undefined) return this.store(broker, message, result, ttl);
    if (result !== undefined && result !== null && message.options.pipe_target == null) {
      childLogger(broker, LOGGER).warn(
        `Actor '${message.actorName}' returned a value that is not undefined, but you haven't set its storeResults option to true, so it was discarded. ` +
          "Set storeResults on the actor (or the message) to keep it, or return nothing.",
      );
    }
  }

  /** Stores a result; one the encoder cannot write is stored as that failure, so no reader waits for nothing. */
  private async store(broker: Broker, message: MessageProxy, result: unknown, ttl: number): Promise<void> {
    try {
      await this.backend.storeResult(message, result, ttl);
    } catch (error) {
      if (!(error instanceof EncodeError)) throw error;
      childLogger(broker, LOGGER).error({ err: error }, `The result of message ${message.messageId} (${message.actorName}) cannot be stored: ${error.message}`);
      await this.backend.storeException(message, error, ttl);
    }
  }

  override afterSkipMessage(broker: Broker, message: MessageProxy): void | Promise<void> {
    if (message.failed) return; // a failed skip (age limit) is stored by afterNack as its failure
    const ttl = this.ttlFor(broker, message);
    if (ttl !== undefined) return this.backend.storeResult(message, null, ttl);
  }

  override afterNack(broker: Broker, message: MessageProxy): void | Promise<void> {
    if (!message.failed) return;
    const ttl = this.ttlFor(broker, message);
    if (ttl === undefined) return;
    return this.backend.storeException(message, message.exception ?? new Error("unknown"), ttl);
  }
}
