import { ResultFailure } from "@q/core";
import type { Tasks } from "../tasks";

/**
 * Cookbook, "Storing message results": an actor with `storeResults` stores what it returns,
 * and `message.getResult({ block: true })` waits for it on the Results middleware's backend.
 * A failure comes back as `ResultFailure`, with the remote error's type and message.
 *
 * @example
 * await results(declareTasks(broker));
 */
export async function results({ add, explode }: Tasks): Promise<void> {
  const message = await add.send(1, 2);
  const sum: number = await message.getResult({ block: true, timeout: 10_000 });
  console.log(`add(1, 2) = ${sum}`);
  const failing = await explode.send("rocks");
  try {
    await failing.getResult({ block: true, timeout: 10_000 });
    console.log("explode('rocks') succeeded?!");
  } catch (error) {
    if (!(error instanceof ResultFailure)) throw error;
    console.log(`explode('rocks') failed: ${error.message} (type ${error.origExcType}, message ${JSON.stringify(error.origExcMsg)})`);
  }
}
