import type { Tasks } from "../tasks";

/**
 * Cookbook, "Callbacks": `onSuccess` gets the message and its result after a success,
 * `onFailure` the message and the error after every failed attempt. The callbacks run on
 * the worker and log there.
 *
 * @example
 * await callbacks(declareTasks(broker));
 */
export async function callbacks({ identity, explode, printResult, printError }: Tasks): Promise<void> {
  const ok = await identity.sendWithOptions({ args: [42], onSuccess: printResult });
  console.log(`Sent ${ok.messageId}: identity(42) with onSuccess=printResult`);
  const bad = await explode.sendWithOptions({ args: ["gravel"], onFailure: printError });
  console.log(`Sent ${bad.messageId}: explode('gravel') with onFailure=printError`);
}
