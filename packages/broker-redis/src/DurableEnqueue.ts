import type Redis from "ioredis";
import { ConfigurationError } from "@q/core";
import type { Message } from "@q/core";
import { EnqueueNotReplicated } from "./EnqueueNotReplicated";
import type { OperationWatchdog } from "./OperationWatchdog";

/** The `durableEnqueue` option of RedisBroker. */
export interface DurableEnqueueOptions {
  /** Replicas that must have each enqueue before a send resolves (at least 1). */
  replicas: number;
  /** Milliseconds to wait for them (`WAIT`'s timeout); default 1000. */
  timeout?: number;
}

/** What a WAIT ended with: the replicas that confirmed, or the error that cut it off. */
type WaitResult = { replicas: number } | { error: unknown };

/**
 * Internal: confirms enqueues with `WAIT replicas timeout` on the connection that wrote them
 * (WAIT counts the calling connection's own writes, and cannot run inside a script).
 *
 * Replies come back in the order calls were sent, so a WAIT still unanswered when an
 * enqueue's reply arrives was sent after that enqueue and covers it: every send that finishes
 * while one WAIT is in flight joins it, and a new WAIT starts only when none is in flight. A
 * burst of sends costs one WAIT per replica round trip, not one per send. A WAIT on a
 * connection that closed since the enqueue proves nothing, so the connection's generation
 * is checked.
 */
export class DurableEnqueue {
  readonly replicas: number;
  readonly timeout: number;
  private generation = 0;
  private inFlight: Promise<WaitResult> | undefined;

  constructor(
    options: Required<DurableEnqueueOptions>,
    private readonly connection: Redis,
    private readonly watchdog: OperationWatchdog,
  ) {
    this.replicas = options.replicas;
    this.timeout = options.timeout;
  }

  /** Checks the option (ConfigurationError) before any connection is made. */
  static check(options: unknown): Required<DurableEnqueueOptions> {
    const o = options as Partial<DurableEnqueueOptions> | null;
    if (typeof o !== "object" || o === null) throw new ConfigurationError(`RedisBroker: durableEnqueue must be { replicas, timeout? }, got ${o === null ? "null" : typeof o}.`);
    if (typeof o.replicas !== "number" || !Number.isSafeInteger(o.replicas) || o.replicas < 1) {
      throw new ConfigurationError(`RedisBroker: durableEnqueue.replicas must be a whole number >= 1, got ${String(o.replicas)}.`);
    }
    const timeout = o.timeout ?? 1000;
    // WAIT's 0 means forever: a send must never wait without bound.
    if (typeof timeout !== "number" || !Number.isSafeInteger(timeout) || timeout < 1) {
      throw new ConfigurationError(`RedisBroker: durableEnqueue.timeout must be a whole number of milliseconds >= 1, got ${String(o.timeout)}.`);
    }
    return { replicas: o.replicas, timeout };
  }

  /** The connection the enqueues are written on; read before each write. */
  get connectionGeneration(): number {
    return this.generation;
  }

  /** The connection closed: WAITs on the next one cannot vouch for writes on this one. */
  connectionClosed(): void {
    this.generation++;
    this.inFlight = undefined;
  }

  /**
   * Resolves once `replicas` replicas have every write the connection made before the
   * enqueue written in `generation` answered; otherwise rejects through `fail`.
   */
  async confirm(generation: number, fail: (replicas: number | undefined, cause?: unknown) => Error): Promise<void> {
    if (generation !== this.generation) throw fail(undefined);
    this.inFlight ??= this.startWait();
    const result = await this.inFlight;
    if ("error" in result) throw fail(undefined, result.error);
    if (result.replicas < this.replicas) throw fail(result.replicas);
  }

  /** The rejection of a send whose enqueue the replicas did not confirm. */
  notReplicated(messages: readonly Message[], replicas: number | undefined, cause?: unknown): EnqueueNotReplicated {
    const what = messages.length === 1 ? `message ${messages[0]!.messageId} on ${messages[0]!.queueName}` : `${messages.length} messages`;
    const why =
      replicas === undefined
        ? `the connection to the primary closed before ${this.replicas} replica(s) confirmed it`
        : `only ${replicas} of the required ${this.replicas} replica(s) confirmed it within ${this.timeout} ms (WAIT)`;
    return new EnqueueNotReplicated(
      `Enqueued ${what} on the Redis primary, but ${why}: it is written there and runs if that primary stays up, but a failover may lose it; sending it again may run it twice.`,
      { replicas, required: this.replicas, messageIds: messages.map((m) => m.messageId) },
      { cause },
    );
  }

  private startWait(): Promise<WaitResult> {
    const call = this.connection.call("WAIT", this.replicas, this.timeout) as Promise<number>;
    // Bounded even when the primary vanishes without closing the socket.
    const watched = this.watchdog.watch(call, () => new Error(`WAIT got no answer within ${this.timeout + 5000} ms`), this.timeout + 5000);
    const result = watched.then(
      (replicas): WaitResult => ({ replicas: Number(replicas) }),
      (error: unknown): WaitResult => ({ error }),
    );
    // Cleared as soon as the answer lands (before any later reply is handled): a send whose
    // reply comes after it must not join it.
    const clear = () => {
      if (this.inFlight === result) this.inFlight = undefined;
    };
    call.then(clear, clear);
    return result;
  }
}
