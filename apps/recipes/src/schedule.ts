/**
 * Runs the scheduler recipe next to a worker (`q dist/broker.js dist/tasks.js`): enqueues
 * `printCurrentDate` on SCHEDULE_CRON (default every 10 seconds). Start it as many times as
 * you like; each tick is enqueued once.
 *
 *     SCHEDULE_CRON="*\/10 * * * * *" node dist/schedule.js
 */
import { RedisRateLimiterBackend } from "@q/rate-limits/redis";
import { createRecipesBroker } from "./createRecipesBroker";
import { declareTasks } from "./declareTasks";
import { startScheduler } from "./scheduler";

/**
 * Starts the scheduler on the recipes' broker; returns a function that stops it and closes
 * the connections.
 *
 * @example
 * const stop = schedule("0 * * * * *");
 */
export function schedule(cron: string): () => Promise<void> {
  const recipes = createRecipesBroker();
  const { printCurrentDate } = declareTasks(recipes.broker);
  const backend = new RedisRateLimiterBackend({ url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" });
  const namespace = process.env.RECIPES_NAMESPACE ?? "q-recipes";
  const stop = startScheduler({
    backend,
    keyPrefix: `${namespace}:scheduler`,
    jobs: [{ cron, actor: printCurrentDate, args: (at) => [at.toISOString()] }],
    onEnqueued: (_job, at, id) => console.log(`enqueued printCurrentDate for ${at.toISOString()} (${id})`),
  });
  console.log(`scheduling printCurrentDate on "${cron}"`);
  return async () => {
    await stop();
    await backend.close();
    await recipes.close();
  };
}

if (require.main === module) {
  const stop = schedule(process.env.SCHEDULE_CRON ?? "*/10 * * * * *");
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void stop());
}
