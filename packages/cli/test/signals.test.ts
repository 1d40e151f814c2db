// Signals to the supervisor (spec 13): INT/TERM graceful stop with requeue, a second one kills.
import { waitFor } from "@q/test-support";
import { waitReady } from "./support/runQ";
import { useQ } from "./support/useQ";

const t = useQ();

test("TERM lets the running message finish, requeues the prefetched ones, and exits 0", async () => {
  const q = t.q(["broker.js", "tasks.js", "-p", "1", "-t", "1"]);
  await waitReady(q);
  await t.send("slow", ["a", 800]);
  await t.send("slow", ["b", 800]);
  await t.send("slow", ["c", 800]);
  await waitFor("the first message to start", async () => (await t.events()).includes("started:a"));

  q.proc.kill("SIGTERM");
  expect(await q.exitCode()).toBe(0);

  // a finished; b and c never started and are back on the queue, in order.
  expect(await t.events()).toEqual(["started:a", "done:a"]);
  expect(await t.redis.lrange(`${t.namespace}:default`, 0, -1)).toHaveLength(2);
  const ids = await t.redis.lrange(`${t.namespace}:default`, 0, -1);
  const bodies = await t.redis.hmget(`${t.namespace}:default.msgs`, ...ids);
  expect(bodies.map((b) => JSON.parse(b!).args[0])).toEqual(["b", "c"]);
  expect(q.matching(/Stopping worker process\.\.\./)).toHaveLength(1);
});

test("INT is forwarded to the workers as TERM: a graceful stop, exit 0", async () => {
  const q = t.q(["broker.js", "tasks.js", "-p", "1"]);
  await waitReady(q);
  await t.send("slow", ["a", 500]);
  await waitFor("the message to start", async () => (await t.events()).includes("started:a"));
  q.proc.kill("SIGINT");
  expect(await q.exitCode()).toBe(0);
  expect(await t.events()).toEqual(["started:a", "done:a"]);
  expect(q.matching(/\[q\.MainProcess\] \[INFO\] Sending signal 'SIGTERM' to subprocesses\.\.\./)).toHaveLength(1);
});

test("a second TERM kills the workers at once and q exits 1; the running message is not finished", async () => {
  const q = t.q(["broker.js", "tasks.js", "-p", "1"]);
  await waitReady(q);
  await t.send("slow", ["long", 30_000]);
  await waitFor("the message to start", async () => (await t.events()).includes("started:long"));

  const started = Date.now();
  q.proc.kill("SIGTERM");
  await q.line(/Stopping worker process/);
  q.proc.kill("SIGTERM");
  expect(await q.exitCode(5_000)).toBe(1);
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(await t.events()).toEqual(["started:long"]);
  expect(q.matching(/\[WARNING\] Killing worker process\.\.\./)).toHaveLength(1);
});

test("--worker-shutdown-timeout bounds the graceful stop: the unfinished message is requeued, exit 0", async () => {
  const q = t.q(["broker.js", "tasks.js", "-p", "1", "--worker-shutdown-timeout", "300"]);
  await waitReady(q);
  await t.send("slow", ["long", 30_000]);
  await waitFor("the message to start", async () => (await t.events()).includes("started:long"));
  q.proc.kill("SIGTERM");
  expect(await q.exitCode(10_000)).toBe(0);
  expect(await t.events()).toEqual(["started:long"]);
  expect(await t.queueLength()).toBe(1);
  expect(q.matching(/Abandoned 1 running message\(s\) at the shutdown deadline; requeueing them\./)).toHaveLength(1);
});
