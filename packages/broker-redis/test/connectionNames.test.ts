/**
 * The broker names its connections (CLIENT SETNAME) so an operator reading CLIENT LIST can
 * tell which process and which role each one is: the reliability suite kills each by name.
 */
import { Worker, actor } from "@q/core";
import { waitFor } from "@q/test-support";
import { useHarness } from "./harness";

const h = useHarness();

async function namesStartingWith(prefix: string): Promise<string[]> {
  const list = (await h.redis.call("CLIENT", "LIST")) as string;
  return list
    .split("\n")
    .map((line) => /(?:^| )name=(\S*)/.exec(line)?.[1] ?? "")
    .filter((name) => name.startsWith(prefix))
    .sort();
}

test("by default the connections are named q-<pid>:commands, q-<pid>:wakeups and q-<pid>:client in CLIENT LIST", async () => {
  const broker = h.broker();
  actor(function named() {}, { broker, queueName: "names" });
  const worker: Worker = await h.worker(broker);
  await broker.client.ping();
  const prefix = `q-${process.pid}:`;
  await waitFor("three named connections", async () => (await namesStartingWith(prefix)).length >= 3);
  expect(await namesStartingWith(prefix)).toEqual([`${prefix}client`, `${prefix}commands`, `${prefix}wakeups`]);
  await worker.stop();
});

test("redisOptions.connectionName sets the prefix", async () => {
  const prefix = `billing-${Math.random().toString(36).slice(2, 8)}`;
  const broker = h.broker({ redisOptions: { connectionName: prefix } });
  actor(function named() {}, { broker, queueName: "names" });
  await h.worker(broker);
  await waitFor("two named connections", async () => (await namesStartingWith(`${prefix}:`)).length >= 2);
  expect(await namesStartingWith(`${prefix}:`)).toEqual([`${prefix}:commands`, `${prefix}:wakeups`]);
});
