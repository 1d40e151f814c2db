// TypeScript consumer, compiled under node16, bundler and node10 module resolution: the
// declarations resolve (subpaths included), one @q/core means a StubBroker is the Broker
// that setBroker() takes, and what is internal is not in the published types.
import { actor, type Broker, ConnectionClosed, isQError, type Message, type Middleware, setBroker, Worker } from "@q/core";
import { Wakeup, computeBackoff, dqName, qName } from "@q/core/broker";
import { MemoryRateLimiterBackend, runBrokerConformance, type TestFramework } from "@q/core/testing";
// @ts-expect-error: the broker-author helpers are in @q/core/broker only
import { qName as notInMain } from "@q/core";
import { StubBroker } from "@q/broker-stub";
import { RedisBroker } from "@q/broker-redis";
import { RabbitmqBroker } from "@q/broker-rabbitmq";
import { ExitCode, parseArgs } from "@q/cli";
import { type MetricsServer, Prometheus, type PrometheusOptions } from "@q/middleware-prometheus";
import { OpenTelemetry, type OpenTelemetryOptions } from "@q/middleware-opentelemetry";
import { ConcurrentRateLimiter, RateLimits, WindowRateLimiter, MemoryRateLimiterBackend as Memory, type RateLimiter } from "@q/rate-limits";
import { RedisRateLimiterBackend } from "@q/rate-limits/redis";
import { MemcachedRateLimiterBackend } from "@q/rate-limits/memcached";
import { runRateLimiterBackendConformance } from "@q/core/testing";

setBroker(new StubBroker()); // with two copies of @q/core this line is a type error
const broker: Broker = new StubBroker();

const metricsOptions: PrometheusOptions = { host: "127.0.0.1", port: 0, queueDepth: true };
const metrics: Middleware = new Prometheus(metricsOptions); // a Middleware of the one @q/core
broker.addMiddleware(metrics);
const tracingOptions: OpenTelemetryOptions = { system: "dramatiq" };
broker.addMiddleware(new OpenTelemetry(tracingOptions));
/** Not called: serve() resolves with the server's address. */
export async function serveMetrics(p: Prometheus): Promise<number> {
  const server: MetricsServer = await p.serve();
  await server.close();
  return server.port;
}

const add = actor(async function add(a: number, b: number): Promise<number> {
  return a + b;
});
/** Not called: a type check only (at run time this send rejects with ArgumentError). */
export function missingArgument(): Promise<unknown> {
  // @ts-expect-error: b is missing
  return add.send(1);
}

/** Not called: a message keeps its actor's result type in the published types. */
export function wrongResult(): Promise<Message<string>> {
  // @ts-expect-error: add's messages carry a number
  return add.send(1, 2);
}

/** Not called: the server-backed brokers only need to type as Brokers of the same @q/core. */
export function brokers(): Broker[] {
  return [broker, new RedisBroker({ url: "redis://127.0.0.1:1" }), new RabbitmqBroker({ url: "amqp://127.0.0.1:1" })];
}
export const codes: string[] = [new ConnectionClosed("x").code];
export function written(e: unknown): "no" | "maybe" | undefined {
  return isQError<ConnectionClosed>(e, "Q_CONNECTION_CLOSED") ? e.written : undefined;
}
export function conformance(framework: TestFramework): void {
  runBrokerConformance({
    name: "StubBroker",
    makeBroker: (logger) => new StubBroker({ logger }),
    injectRaw: async (b, queue, data) => b.enqueueRaw(queue, data),
    deadLetters: async (b, queue) => (b.deadLettersByQueue.get(queue) ?? []).map((m) => ({ messageId: m.messageId })),
    framework,
  });
}
export const limiter = new MemoryRateLimiterBackend();
export const queues: string[] = [qName("emails.DQ"), dqName("emails"), String(computeBackoff(1)), String(notInMain)];
export const wakeup = new Wakeup();
export function internals(worker: Worker, redis: RedisBroker, m: Middleware): void {
  // @ts-expect-error: an internal member (the consumer loop's hook) is stripped from the types
  void worker.submit;
  // @ts-expect-error: so are a broker package's (the Redis broker's script runner)
  void redis.dispatch;
  // @ts-expect-error: the middleware list is read-only; change it with addMiddleware
  broker.middleware.push(m);
}
export const usage = ExitCode.IMPORT_OR_USAGE;

/** Not called: the limiters and backends type against the app's @q/core. */
export function limiters(): RateLimiter[] {
  const redis = new RedisRateLimiterBackend({ url: "redis://127.0.0.1:1" });
  broker.addMiddleware(new RateLimits());
  const limited = actor(async (n: number) => n, { broker, rateLimiter: new ConcurrentRateLimiter(redis, "k", { limit: 5 }) });
  void limited;
  runRateLimiterBackendConformance({ name: "memory", makeBackend: () => new Memory() });
  return [new WindowRateLimiter(new MemcachedRateLimiterBackend({ servers: "127.0.0.1:1" }), "w", { window: 60 })];
}
export const args = parseArgs;

export async function run(): Promise<number[]> {
  const sums: number[] = [];
  const stub = new StubBroker();
  const sum = actor(
    async function sum(a: number, b: number) {
      sums.push(a + b);
    },
    { broker: stub },
  );
  const worker = new Worker(stub, { timeout: 50 });
  await worker.start();
  try {
    await sum.send(2, 3);
    await stub.join(sum.queueName);
  } finally {
    await worker.stop();
  }
  return sums;
}

if (require.main === module) {
  run().then(
    (sums) => {
      if (JSON.stringify(sums) !== "[5]") throw new Error(`expected [5], got ${JSON.stringify(sums)}`);
      console.log("ts (node16, compiled): sent and processed 1 message");
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
