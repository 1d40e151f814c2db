import { RedisBroker } from "@q/broker-redis";
import { type Logger, Results, Retries, defaultMiddleware } from "@q/core";
import { RedisResultBackend } from "@q/results/redis";
import { type ErrorTransport, ErrorReporting } from "./errorReporting";
import { logTransport } from "./logTransport";

/** Options of {@link createRecipesBroker}; each defaults to an environment variable. */
export interface RecipesBrokerOptions {
  /** Redis for the broker and the results; default `REDIS_URL`, else `redis://127.0.0.1:6379`. */
  url?: string;
  /** The broker's key namespace; default `RECIPES_NAMESPACE`, else `q-recipes`. */
  namespace?: string;
  /** Where failures are reported; default a log line per failed attempt ({@link logTransport}). */
  errorTransport?: ErrorTransport;
  /** The broker's logger; default @q's. */
  logger?: Logger;
}

/** The recipes' broker, its result backend, and a `close()` for both. */
export interface RecipesBroker {
  broker: RedisBroker;
  results: RedisResultBackend;
  close(): Promise<void>;
}

/**
 * The broker every recipe shares: a RedisBroker with the default middleware, Results on a
 * RedisResultBackend (the web apps poll it), and ErrorReporting. The web process and the
 * `q` worker must build it the same way, so both live here.
 *
 * @example
 * const { broker, close } = createRecipesBroker({ namespace: "my-app" });
 * const { add } = declareTasks(broker);
 */
export function createRecipesBroker(options: RecipesBrokerOptions = {}): RecipesBroker {
  const url = options.url ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const namespace = options.namespace ?? process.env.RECIPES_NAMESPACE ?? "q-recipes";
  const results = new RedisResultBackend({ url });
  const middleware = [...defaultMiddleware(), new Results({ backend: results })];
  const redisBroker = new RedisBroker({ url, namespace, middleware, logger: options.logger });
  // Before Retries in the list: after* hooks run in reverse list order, so ErrorReporting's
  // afterProcessMessage then runs after Retries' and sees whether it will retry.
  const transport = options.errorTransport ?? logTransport(redisBroker.rootLogger);
  redisBroker.addMiddleware(new ErrorReporting({ transport }), { before: Retries });
  return {
    broker: redisBroker,
    results,
    async close() {
      await redisBroker.close();
      await results.close();
    },
  };
}
