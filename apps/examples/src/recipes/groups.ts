import { group } from "@q/core";
import type { Tasks } from "../tasks";

/**
 * Cookbook, "Groups": three frobnicate messages run in parallel (on whichever worker
 * processes take them); `wait` blocks until all are done, `getResults` gives their results in
 * the order the messages were added, and the completion callback runs once, after the last.
 *
 * @example
 * await groups(declareTasks(broker));
 */
export async function groups({ frobnicate, announce }: Tasks): Promise<void> {
  const g = group([frobnicate.message(1, 2), frobnicate.message(2, 3), frobnicate.message(3, 4)]);
  g.addCompletionCallback(announce.message("frobnicated 3"));
  await g.run();
  await g.wait({ timeout: 10_000 });
  console.log(`completed: ${await g.completedCount()} of ${g.length}`);
  const results = await g.getResults({ block: true, timeout: 5_000 });
  console.log(`results in member order: ${JSON.stringify(results)}`);
}
