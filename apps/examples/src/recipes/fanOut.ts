import { group, pipeline } from "@q/core";
import type { Tasks } from "../tasks";

/**
 * Beyond the cookbook: a group as a pipeline step (fan out, then continue with the list of
 * the members' results once all of them are done), and a group's results as they complete.
 *
 * @example
 * await fanOut(declareTasks(broker));
 */
export async function fanOut({ frobnicate, total }: Tasks): Promise<void> {
  const fan = pipeline([group([frobnicate.message(1, 2), frobnicate.message(2, 3), frobnicate.message(3, 4)]), total.message()]);
  await fan.run();
  console.log(`total of the fan-out: ${await fan.getResult({ block: true, timeout: 10_000 })}`);

  const g = group([5, 1, 3].map((x) => frobnicate.message(x, 10)));
  await g.run();
  const seen: number[] = [];
  for await (const { result } of g.asCompleted({ timeout: 10_000 })) seen.push(result as number);
  console.log(`as completed, sorted: ${JSON.stringify(seen.sort((a, b) => a - b))}`);
}
