/**
 * The producer side of the two-terminal demo: sends one countWords message per document
 * (by default the files in apps/demo/data, one of them delayed, plus one that does not
 * exist) to Redis and exits. A `q` worker in another terminal runs them.
 *
 *     node dist/redis/produce.js [<url>...]     # or: pnpm --filter @q/demo produce
 */
import { declareActors } from "../countWords";
import { defaultPlan } from "../main";
import { createRedisBroker } from "./redisBroker";

/**
 * Sends the messages and resolves with their ids once Redis has them.
 *
 * @example
 * const ids = await produce(["file:///etc/hostname"]);
 */
export async function produce(urls: readonly string[] = []): Promise<string[]> {
  const broker = createRedisBroker();
  // The producer declares the same actors to get typed `send`; it runs none of them.
  const { countWords } = declareActors(broker, { counted: () => undefined, gaveUp: () => undefined });
  const plan = urls.length > 0 ? urls.map((url) => ({ url, delay: undefined })) : defaultPlan();
  try {
    const ids: string[] = [];
    for (const { url, delay } of plan) {
      const message = delay === undefined ? await countWords.send(url) : await countWords.sendWithOptions({ args: [url], delay });
      console.log(`Sent ${message}${delay === undefined ? "" : ` (runs in ${delay} ms)`}`);
      ids.push(message.messageId);
    }
    return ids;
  } finally {
    await broker.close();
  }
}

if (require.main === module) {
  produce(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
