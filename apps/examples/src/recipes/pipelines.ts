import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pipeline } from "@q/core";
import type { Tasks } from "../tasks";

const TEXT = "the quick brown fox jumps over the lazy dog";

/**
 * Cookbook, "Pipelines": getUriContents' result is passed as the last argument of
 * countWords; `pipeIgnore` keeps bustCaches' result from prepareCodes, whose result goes on
 * to launchMissiles. `getResult` is the last step's result, `getResults` every step's.
 *
 * @example
 * await pipelines(declareTasks(broker));
 */
export async function pipelines({ getUriContents, countWords, bustCaches, prepareCodes, launchMissiles }: Tasks): Promise<void> {
  // The page to count, served here so the example needs no network.
  const server = createServer((_req, res) => res.end(TEXT));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fox.txt`;
  try {
    const pipe = getUriContents.message(uri).pipe(countWords.message(uri));
    await pipe.run();
    console.log(`words: ${await pipe.getResult({ block: true, timeout: 10_000 })}`);

    const launch = pipeline([bustCaches.message(), prepareCodes.messageWithOptions({ args: [], pipeIgnore: true }), launchMissiles.message()]);
    await launch.run();
    console.log(`end result: ${JSON.stringify(await launch.getResult({ block: true, timeout: 10_000 }))}`);
    console.log(`every step: ${JSON.stringify(await launch.getResults({ block: true, timeout: 10_000 }))}`);
  } finally {
    server.close();
  }
}
