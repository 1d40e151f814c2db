/**
 * The examples' worker, as `q` loads it in each worker process:
 *
 *     q dist/worker.js -p 2         # or: pnpm --filter @q/examples worker
 */
import { createExamples } from "./setup";
import { declareTasks } from "./tasks";

export const { broker } = createExamples();
declareTasks(broker);
