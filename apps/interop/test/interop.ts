/**
 * The interop harness: one test, one broker kind, a fresh Redis namespace and queue, and
 * workers and producers of either language on them. A case is written once against
 * {@link Interop} and run for every broker and direction (see cases.test.ts).
 *
 * - `worker("python", actors)` runs a real `dramatiq.Worker`; `worker("q", actors)` a @q Worker.
 * - `send("python", messages)` sends with Dramatiq's `send_with_options`; `send("q", ...)` with
 *   @q's `sendWithOptions`.
 * Both workers record every run as a {@link Received}, so one assertion fits both.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as amqp from "amqplib";
import Redis from "ioredis";
import { type Actor, type Broker, CurrentMessage, GroupCallbacks, Message, type Middleware, type RateLimiterBackend, type ResultBackend, Results, Worker, actor, defaultMiddleware } from "@q/core";
import { RedisBroker } from "@q/broker-redis";
import { RabbitmqBroker } from "@q/broker-rabbitmq";
import { silentLogger } from "@q/test-support";
import { REDIS_URL, deleteNamespace, freshNamespace, requireRedis } from "@q/test-support/redis";
import { AMQP_URL, freshQueue, requireRabbit } from "@q/test-support/rabbitmq";
import { PythonProcess, readJsonLines, requirePython, runPython } from "./python";
import type { PyText } from "./pyJson";

export type BrokerKind = "redis" | "rabbitmq";
export type Lang = "python" | "q";
export const BROKERS: readonly BrokerKind[] = ["redis", "rabbitmq"];
/** Both directions, as [producer, worker]. */
export const DIRECTIONS: readonly (readonly [Lang, Lang])[] = [
  ["python", "q"],
  ["q", "python"],
];

/** Actor options both languages read from a declaration, snake_case as in Python. */
export interface ActorOptionsSpec {
  max_retries?: number;
  min_backoff?: number;
  max_backoff?: number;
  time_limit?: number;
  store_results?: boolean;
}

/** An actor on the test's queue; every actor records each run it gets. */
export interface ActorSpec {
  name: string;
  /** The first `fail` runs of each message throw; -1: every run. Default 0. */
  fail?: number;
  /** Milliseconds each run takes (after recording it). */
  sleepMs?: number;
  /** What a successful run returns (a pipeline's next step gets it). */
  returns?: unknown;
  options?: ActorOptionsSpec;
}

/** A message to send to an actor on the test's queue. */
export interface SendSpec {
  actor: string;
  /** JavaScript values, or Python JSON text (`py("[1.0]")`, Python producers only). */
  args?: unknown[] | PyText;
  kwargs?: Record<string, unknown> | PyText;
  /** Message options, snake_case, as Python's `send_with_options(**options)` takes them. */
  options?: Record<string, unknown> | PyText;
  delay?: number;
  /** Python producers only: send as a two-step `dramatiq.pipeline`, this being the next step. */
  pipe_to?: { actor: string; args?: unknown[] };
}

/** What one producer sent (`bytes` is what it wrote, before any broker-specific options). */
export interface Sent {
  message_id: string;
  queue_name: string;
  actor_name: string;
  /** The bytes as the producer wrote them (Python: `message.encode()`; @q: `message.encode()`). */
  bytes: string;
  /** Those bytes decoded by @q. */
  message: Message;
}

/** One run of an actor, as the worker saw it. */
export interface Received {
  actor_name: string;
  queue_name: string;
  message_id: string;
  message_timestamp: number;
  args: unknown[];
  kwargs: Record<string, unknown>;
  options: Record<string, unknown>;
  /** Epoch ms when the run started. */
  at: number;
  /** 1 for the first run of this message id on this worker. */
  attempt: number;
  /** The message re-encoded by the worker's own encoder (Python: `json.dumps`; @q: its encoder). */
  bytes: string;
  /** Python workers only: `repr()` of the arguments, which tells `1` from `1.0` and `-0.0` from `0`. */
  args_repr?: string;
  kwargs_repr?: string;
}

/** A dead letter as Dramatiq reads it: its bytes, @q's decoding, and the `repr()` of what Python decoded. */
export interface DeadLetter {
  bytes: string;
  message: Message;
  args_repr: string;
  kwargs_repr: string;
  options_repr: string;
}

/** A worker process to kill: its runs are `{message_id, at}`. */
export interface StuckWorker {
  runs(): { message_id: string; at: number }[];
  kill(): Promise<void>;
}

export interface RunningWorker {
  readonly lang: Lang;
  /** Every run so far, in order. */
  received(): Received[];
  /** Stops it (Python: SIGTERM; @q: worker.stop()). */
  stop(): Promise<void>;
}

export interface Interop {
  readonly kind: BrokerKind;
  /** The test's queue (fresh); every actor of the test is on it. */
  readonly queue: string;
  /** The test's Redis namespace (fresh). */
  readonly namespace: string;
  worker(lang: Lang, actors: ActorSpec[], options?: WorkerSpec): Promise<RunningWorker>;
  send(lang: Lang, messages: SendSpec[]): Promise<Sent[]>;
  /** The test queue's dead letters, read where Dramatiq puts them and decoded by Dramatiq. */
  deadLetters(): Promise<DeadLetter[]>;
  /** A @q broker on the test's namespace (closed after the test), with the middleware `worker` asks for. */
  qBroker(worker?: WorkerSpec): Promise<Broker>;
  /** A worker of `lang` in its own process whose one actor records each run and never finishes, for SIGKILL. */
  stuckWorker(lang: Lang, actorName: string): Promise<StuckWorker>;
  /** Runs `fn` after the test, before the workers stop. */
  defer(fn: () => unknown): void;
  /** The test's broker as the Python scripts take it: `{broker, url, namespace?, broker_options}`. */
  pythonBroker(): Record<string, unknown>;
}

/** Worker settings both languages take (Python: `worker_threads` and the consumers' prefetch). */
export interface WorkerSpec {
  /** Messages run at once; default 1. */
  concurrency?: number;
  /** Messages fetched ahead; default each language's own (2 × concurrency in both). */
  prefetch?: number;
  /** Redis: ms without a heartbeat before a worker counts as dead (default 60000 in both). */
  heartbeatTimeout?: number;
  /** Redis: chance in a million that a command also recovers dead workers' messages (default 1000 in both). */
  maintenanceChance?: number;
  /** Adds the GroupCallbacks middleware on this rate-limiter backend (both languages). */
  groupCallbacks?: BackendSpec;
  /** Adds the Results middleware on this result backend (both languages). */
  results?: ResultsSpec;
}

/** A result backend as both languages take it: Dramatiq's namespace and key mode. */
export type ResultsSpec = BackendSpec & { namespace?: string; prefix_keys?: boolean };

/** A @q result backend on `spec` (closed by the caller). */
export async function qResultBackend(spec: ResultsSpec): Promise<ResultBackend> {
  const options = { namespace: spec.namespace, useNamespacePrefixKeys: spec.prefix_keys };
  if (spec.backend === "redis") {
    const { RedisResultBackend } = await import("@q/results/redis");
    return new RedisResultBackend({ url: spec.url, ...options });
  }
  const { MemcachedResultBackend } = await import("@q/results/memcached");
  return new MemcachedResultBackend({ servers: spec.servers, ...options });
}

/** A Redis or memcached server as both languages' backends take it. */
export type BackendSpec = { backend: "redis"; url: string } | { backend: "memcached"; servers: string };

/** A @q rate-limiter backend on `spec` (closed by the caller). */
export async function qLimiterBackend(spec: BackendSpec): Promise<RateLimiterBackend & { close(): Promise<void> }> {
  if (spec.backend === "redis") {
    const { RedisRateLimiterBackend } = await import("@q/rate-limits/redis");
    return new RedisRateLimiterBackend({ url: spec.url });
  }
  const { MemcachedRateLimiterBackend } = await import("@q/rate-limits/memcached");
  return new MemcachedRateLimiterBackend({ servers: spec.servers });
}

/** Broker settings both languages get (RabbitMQ's `max_priority` / `maxPriority`). */
export interface InteropOptions {
  maxPriority?: number;
}

function brokerSpec(kind: BrokerKind, namespace: string, options: InteropOptions, worker: WorkerSpec = {}): Record<string, unknown> {
  if (kind === "redis") {
    const broker_options: Record<string, number> = {};
    if (worker.heartbeatTimeout !== undefined) broker_options.heartbeat_timeout = worker.heartbeatTimeout;
    if (worker.maintenanceChance !== undefined) broker_options.maintenance_chance = worker.maintenanceChance;
    return { broker: "redis", url: REDIS_URL, namespace, broker_options };
  }
  return { broker: "rabbitmq", url: AMQP_URL, broker_options: options.maxPriority === undefined ? {} : { max_priority: options.maxPriority } };
}

/** snake_case option names (as on the wire and in Python) as @q's camelCase ones. */
function camel<V>(options: Record<string, V> = {}): Record<string, V> {
  const out: Record<string, V> = {};
  for (const [k, v] of Object.entries(options)) out[k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())] = v;
  return out;
}

/** Declares {@link ActorSpec}s on a @q broker: each records its runs into `into`. */
function declareQActors(broker: Broker, queue: string, specs: ActorSpec[], into: Received[]): void {
  const runs = new Map<string, number>();
  for (const spec of specs) {
    actor(
      async function record(...call: unknown[]) {
        const m = CurrentMessage.getCurrentMessage()!;
        const attempt = (runs.get(m.messageId) ?? 0) + 1;
        runs.set(m.messageId, attempt);
        const kwargs = call.pop() as Record<string, unknown>;
        into.push({
          actor_name: m.actorName,
          queue_name: m.queueName,
          message_id: m.messageId,
          message_timestamp: m.messageTimestamp,
          args: call,
          kwargs,
          options: { ...m.options },
          at: Date.now(),
          attempt,
          bytes: m.message.encode().toString("latin1"),
        });
        // unref: a run abandoned at its time limit must not keep jest alive.
        if (spec.sleepMs) await new Promise((r) => setTimeout(r, spec.sleepMs).unref());
        const fail = spec.fail ?? 0;
        if (fail < 0 || attempt <= fail) throw new Error(`${spec.name} fails on purpose (attempt ${attempt})`);
        return spec.returns;
      },
      { broker, queueName: queue, actorName: spec.name, acceptKwargs: true, ...camel(spec.options as Record<string, number>) },
    );
  }
}

/**
 * Call at the top of a test file: checks Redis or RabbitMQ and the Python environment in
 * `beforeAll` (failing, never skipping), and after each test stops workers, closes brokers,
 * and deletes the test's keys or queues.
 */
export function useInterop(kind: BrokerKind, options: InteropOptions = {}): () => Interop {
  let current: Interop | undefined;
  let cleanups: (() => unknown)[] = [];
  let redis: Redis | undefined;

  beforeAll(async () => {
    requirePython();
    if (kind === "redis") {
      await requireRedis();
      redis = new Redis(REDIS_URL);
    } else {
      await requireRabbit();
    }
  });

  beforeEach(() => {
    const namespace = freshNamespace("qinterop");
    const queue = freshQueue("interop");
    const dir = mkdtempSync(join(tmpdir(), "q-interop-"));
    const deferred: (() => unknown)[] = [];
    const workers: RunningWorker[] = [];
    const brokers: Broker[] = [];
    const closers: (() => Promise<void>)[] = [];
    const qBroker = async (w: WorkerSpec = {}): Promise<Broker> => {
      const middleware: Middleware[] = [...defaultMiddleware(), new CurrentMessage()];
      if (w.groupCallbacks) {
        const backend = await qLimiterBackend(w.groupCallbacks);
        closers.push(() => backend.close());
        middleware.push(new GroupCallbacks(backend));
      }
      if (w.results) {
        const backend = await qResultBackend(w.results);
        closers.push(() => backend.close());
        middleware.push(new Results({ backend }));
      }
      const logger = silentLogger();
      const redisOptions = { heartbeatTimeout: w.heartbeatTimeout, maintenanceChance: w.maintenanceChance };
      const broker = kind === "redis" ? new RedisBroker({ url: REDIS_URL, namespace, logger, middleware, ...redisOptions }) : new RabbitmqBroker({ url: AMQP_URL, logger, middleware, maxPriority: options.maxPriority });
      brokers.push(broker);
      return broker;
    };
    let files = 0;

    cleanups = [
      async () => {
        for (const fn of deferred.splice(0).reverse()) await fn();
        await Promise.all(workers.splice(0).map((w) => w.stop()));
        await Promise.all(brokers.splice(0).map((b) => b.close()));
        await Promise.all(closers.splice(0).map((close) => close()));
        if (kind === "redis") await deleteNamespace(redis!, namespace);
        else await deleteRabbitQueues(queue);
        rmSync(dir, { recursive: true, force: true });
      },
    ];

    current = {
      kind,
      queue,
      namespace,
      qBroker,
      defer: (fn) => deferred.push(fn),
      pythonBroker: () => brokerSpec(kind, namespace, options),
      async worker(lang, actors, workerSpec = {}) {
        const { concurrency = 1, prefetch } = workerSpec;
        if (lang === "python") {
          const out = join(dir, `received-${files++}.jsonl`);
          const spec = { ...brokerSpec(kind, namespace, options, workerSpec), out, threads: concurrency, prefetch: prefetch ?? null, actors: actors.map((a) => ({ name: a.name, queue, fail: a.fail ?? 0, sleep_ms: a.sleepMs ?? 0, returns: a.returns ?? null, options: a.options ?? {} })), group_callbacks: workerSpec.groupCallbacks ?? null, results: workerSpec.results ?? null };
          const p = await PythonProcess.start(spec);
          const w: RunningWorker = { lang, received: () => readJsonLines<Received>(out), stop: () => p.stop() };
          workers.push(w);
          return w;
        }
        const broker = await qBroker(workerSpec);
        const received: Received[] = [];
        declareQActors(broker, queue, actors, received);
        const worker = new Worker(broker, { timeout: 100, concurrency, prefetch });
        await worker.start();
        const w: RunningWorker = { lang, received: () => [...received], stop: () => worker.stop({ timeout: 5000 }) };
        workers.push(w);
        return w;
      },
      async stuckWorker(lang, actorName) {
        const out = join(dir, `stuck-${files++}.jsonl`);
        let p: PythonProcess;
        if (lang === "python") {
          p = await PythonProcess.start({ ...brokerSpec(kind, namespace, options), out, actors: [{ name: actorName, queue, sleep_ms: 600_000 }] });
        } else {
          if (kind !== "redis") throw new Error("stuckWorker('q') is for Redis");
          p = await PythonProcess.startNode(join(__dirname, "support", "qWorker.mjs"), { url: REDIS_URL, namespace, queue, out, actor: actorName });
        }
        deferred.push(() => p.kill());
        return { runs: () => readJsonLines(out), kill: () => p.kill() };
      },
      async send(lang, messages) {
        if (lang === "python") {
          const lines = await runPython<{ message_id: string; queue_name: string; actor_name: string; bytes: string }>("produce", {
            ...brokerSpec(kind, namespace, options),
            messages: messages.map((m) => ({ ...m, queue })),
          });
          return lines.map((l) => ({ ...l, message: Message.decode(Buffer.from(l.bytes, "ascii")) }));
        }
        const broker = await qBroker();
        const actors = new Map<string, Actor<any, any, any>>();
        const sent: Sent[] = [];
        for (const m of messages) {
          let a = actors.get(m.actor);
          if (!a) {
            // The producer's declaration: the body never runs here.
            a = actor((..._args: unknown[]) => undefined, { broker, queueName: queue, actorName: m.actor, acceptKwargs: true });
            actors.set(m.actor, a);
          }
          if (m.pipe_to || !Array.isArray(m.args ?? []) || (m.kwargs && !isPlain(m.kwargs)) || (m.options && !isPlain(m.options))) {
            throw new Error("pipe_to and Python JSON text (py(...)) are for Python producers only");
          }
          const message: Message = await a.sendWithOptions({ ...camel(m.options as Record<string, unknown>), args: (m.args ?? []) as unknown[], kwargs: m.kwargs ?? {}, delay: m.delay });
          sent.push({ message_id: message.messageId, queue_name: message.queueName, actor_name: message.actorName, bytes: message.encode().toString("latin1"), message });
        }
        return sent;
      },
      async deadLetters() {
        const lines = await runPython<Omit<DeadLetter, "message">>("dead", { ...brokerSpec(kind, namespace, options), queues: [queue] });
        return lines.map((l) => ({ ...l, message: Message.decode(Buffer.from(l.bytes, "ascii")) }));
      },
    };
  });

  afterEach(async () => {
    for (const fn of cleanups.splice(0)) await fn();
    current = undefined;
  });

  afterAll(async () => {
    await redis?.quit();
  });

  return () => {
    if (!current) throw new Error("the interop harness exists only inside tests");
    return current;
  };
}

function isPlain(v: unknown): boolean {
  return typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

async function deleteRabbitQueues(queue: string): Promise<void> {
  const connection = await amqp.connect(AMQP_URL);
  try {
    const buckets = Array.from({ length: 13 }, (_, k) => `${queue}.DQ.wait.${4 ** k}`);
    for (const name of [queue, `${queue}.DQ`, `${queue}.XQ`, ...buckets]) {
      // A channel per delete: deleting a queue that is not there is fine, but an error closes the channel.
      const channel = await connection.createChannel();
      channel.on("error", () => undefined);
      await channel.deleteQueue(name).catch(() => undefined);
      await channel.close().catch(() => undefined);
    }
  } finally {
    await connection.close();
  }
}
