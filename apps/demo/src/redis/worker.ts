/**
 * The worker side of the two-terminal demo, as `q` loads it:
 *
 *     q dist/redis/worker.js          # or: pnpm --filter @q/demo worker
 *
 * q imports this module in each worker process, takes its `broker` export and runs the
 * actors declared here. Counts and dead letters show up as log lines.
 */
import { declareActors } from "../countWords";
import { createRedisBroker } from "./redisBroker";

export const broker = createRedisBroker();
const log = broker.rootLogger.child({ name: "demo.worker" });

declareActors(broker, {
  // countWords logs each count itself ("There are N words at …").
  counted: () => undefined,
  gaveUp: (url, attempts, error) => log.warn(`Gave up on ${url} after ${attempts} attempts: ${error}`),
});
