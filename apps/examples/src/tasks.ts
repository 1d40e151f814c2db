/**
 * The cookbook's actors, declared on one broker. The worker (`q dist/worker.js`) and every
 * producer declare them the same way: the producer to send typed messages, the worker to run
 * them. Each logs what it did under the `examples` logger, so the recipes' effects show up
 * in the worker's log.
 */
import { type Broker, type MessageData, actor } from "@q/core";
import { QUEUE } from "./setup";

/**
 * Declares every example actor on `broker`.
 *
 * @example
 * const { add } = declareTasks(broker);
 * const message = await add.send(1, 2);
 */
export function declareTasks(broker: Broker) {
  const log = broker.rootLogger.child({ name: "examples" });
  const on = { broker, queueName: QUEUE };

  // Callbacks (cookbook: "Callbacks").
  const identity = actor(function identity(x: number) {
    return x;
  }, on);
  const printResult = actor(function printResult(messageData: MessageData, result: unknown) {
    log.info(`The result of message ${messageData.message_id} was ${JSON.stringify(result)}.`);
  }, on);
  const printError = actor(function printError(messageData: MessageData, exceptionData: { type: string; message: string }) {
    log.info(`Message ${messageData.message_id} failed: type ${exceptionData.type}, message ${JSON.stringify(exceptionData.message)}.`);
  }, on);
  const explode = actor(
    function explode(what: string): never {
      throw new TypeError(`cannot frobnicate ${what}`);
    },
    { ...on, maxRetries: 0, storeResults: true },
  );

  // Results (cookbook: "Storing message results").
  const add = actor(function add(x: number, y: number) {
    return x + y;
  }, { ...on, storeResults: true });

  // Groups: a "computationally intensive" actor.
  const frobnicate = actor(
    async function frobnicate(x: number, y: number) {
      await new Promise((r) => setTimeout(r, 20 + ((x * 37) % 50)));
      return x * y;
    },
    { ...on, storeResults: true },
  );
  const announce = actor(function announce(text: string) {
    log.info(`Group done: ${text}`);
  }, on);

  // Pipelines: fetch a text, then count its words.
  const getUriContents = actor(
    async function getUriContents(uri: string) {
      const response = await fetch(uri);
      if (!response.ok) throw new Error(`GET ${uri}: ${response.status}`);
      return response.text();
    },
    { ...on, storeResults: true },
  );
  const countWords = actor(
    function countWords(uri: string, text: string) {
      const count = text.split(" ").length;
      log.info(`There are ${count} words at ${uri}.`);
      return count;
    },
    { ...on, storeResults: true },
  );
  const bustCaches = actor(function bustCaches() {
    return "busted";
  }, { ...on, storeResults: true });
  const prepareCodes = actor(function prepareCodes() {
    return ["0000", "1234"];
  }, { ...on, storeResults: true });
  const launchMissiles = actor(function launchMissiles(codes: string[]) {
    return `launched with ${codes.join(", ")}`;
  }, { ...on, storeResults: true });

  // Beyond the cookbook: a group as a pipeline step.
  const total = actor(function total(values: number[]) {
    return values.reduce((a, b) => a + b, 0);
  }, { ...on, storeResults: true });

  return { identity, printResult, printError, explode, add, frobnicate, announce, getUriContents, countWords, bustCaches, prepareCodes, launchMissiles, total };
}

/** The actors {@link declareTasks} declares. */
export type Tasks = ReturnType<typeof declareTasks>;
