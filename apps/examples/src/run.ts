/**
 * Runs one recipe's producer side against a running worker (`q dist/worker.js`):
 *
 *     node dist/run.js callbacks | results | groups | pipelines | fan-out
 *
 * Each recipe prints what it got back; what the worker did shows up in the worker's log.
 */
import { callbacks } from "./recipes/callbacks";
import { fanOut } from "./recipes/fanOut";
import { groups } from "./recipes/groups";
import { pipelines } from "./recipes/pipelines";
import { results } from "./recipes/results";
import { createExamples } from "./setup";
import { type Tasks, declareTasks } from "./tasks";

/** Every recipe, by the name `run.js` takes. */
export const RECIPES: Record<string, (tasks: Tasks) => Promise<void>> = {
  callbacks,
  results,
  groups,
  pipelines,
  "fan-out": fanOut,
};

/**
 * Runs the recipe called `name` on the examples' broker, then closes it.
 *
 * @example
 * await runRecipe("groups");
 */
export async function runRecipe(name: string): Promise<void> {
  const recipe = RECIPES[name];
  if (!recipe) throw new Error(`No recipe ${JSON.stringify(name)}; there are: ${Object.keys(RECIPES).join(", ")}`);
  const { broker, close } = createExamples();
  try {
    await recipe(declareTasks(broker));
  } finally {
    await close();
  }
}

if (require.main === module) {
  runRecipe(process.argv[2] ?? "").catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
