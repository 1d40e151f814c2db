/**
 * The broker of the two-terminal demo: Redis at `REDIS_URL` (default 127.0.0.1:6379),
 * keys under `DEMO_NAMESPACE` (default `q-demo`). The worker (run by `q`) and the
 * producer both make it the same way, so they meet on the same queues.
 */
import { RedisBroker } from "@q/broker-redis";

/**
 * A Redis broker on the demo's server and namespace.
 *
 * @example
 * const broker = createRedisBroker();
 */
export function createRedisBroker(): RedisBroker {
  return new RedisBroker({
    url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    namespace: process.env.DEMO_NAMESPACE ?? "q-demo",
  });
}
