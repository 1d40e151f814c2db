/**
 * Where the examples meet: one broker (Redis or RabbitMQ) and one store for results and group
 * barriers (Redis or memcached), chosen by environment variables so the same worker and
 * producers run on every combination:
 *
 *     EXAMPLES_BROKER=redis|rabbitmq      default redis
 *     EXAMPLES_RESULTS=redis|memcached    default redis
 *     REDIS_URL, AMQP_URL, MEMCACHED_SERVERS   the servers (defaults on 127.0.0.1)
 *     EXAMPLES_NAMESPACE                  Redis broker keys (default q-examples)
 *     EXAMPLES_QUEUE                      the queue every example actor is on (default examples)
 */
import { RabbitmqBroker } from "@q/broker-rabbitmq";
import { RedisBroker } from "@q/broker-redis";
import { type Broker, CurrentMessage, GroupCallbacks, Results, defaultMiddleware, setBroker } from "@q/core";
import { MemcachedRateLimiterBackend } from "@q/rate-limits/memcached";
import { RedisRateLimiterBackend } from "@q/rate-limits/redis";
import { MemcachedResultBackend } from "@q/results/memcached";
import { RedisResultBackend } from "@q/results/redis";

const env = process.env;
/** The queue every example actor is declared on. */
export const QUEUE = env.EXAMPLES_QUEUE ?? "examples";

/** The examples' broker and a `close()` that closes it and the stores behind it. */
export interface Examples {
  broker: Broker;
  close(): Promise<void>;
}

/**
 * The examples' broker, with the Results and GroupCallbacks middleware on the chosen store,
 * set as the global broker.
 *
 * @example
 * const { broker, close } = createExamples(); // EXAMPLES_BROKER=rabbitmq EXAMPLES_RESULTS=memcached node ...
 */
export function createExamples(): Examples {
  const redisUrl = env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const memcached = env.MEMCACHED_SERVERS ?? "127.0.0.1:11211";
  const store = env.EXAMPLES_RESULTS ?? "redis";
  if (store !== "redis" && store !== "memcached") throw new Error(`EXAMPLES_RESULTS must be redis or memcached, not ${store}`);
  const results = store === "redis" ? new RedisResultBackend({ url: redisUrl }) : new MemcachedResultBackend({ servers: memcached });
  const barriers = store === "redis" ? new RedisRateLimiterBackend({ url: redisUrl }) : new MemcachedRateLimiterBackend({ servers: memcached });
  const middleware = [...defaultMiddleware(), new CurrentMessage(), new Results({ backend: results }), new GroupCallbacks(barriers)];
  const kind = env.EXAMPLES_BROKER ?? "redis";
  let broker: Broker;
  if (kind === "redis") broker = new RedisBroker({ url: redisUrl, namespace: env.EXAMPLES_NAMESPACE ?? "q-examples", middleware });
  else if (kind === "rabbitmq") broker = new RabbitmqBroker({ url: env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672", middleware });
  else throw new Error(`EXAMPLES_BROKER must be redis or rabbitmq, not ${kind}`);
  // group() and pipeline() use the global broker unless given one, as Dramatiq's do.
  setBroker(broker);
  return {
    broker,
    async close() {
      await broker.close();
      await Promise.all([results.close(), barriers.close()]);
    },
  };
}
