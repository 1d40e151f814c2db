// q queues, q dlq list|requeue|purge and q message show against real Redis, as a user runs them.
import { RedisBroker } from "@q/broker-redis";
import { Message } from "@q/core";
import pino from "pino";
import { waitFor } from "@q/test-support";
import { REDIS_URL } from "@q/test-support/redis";
import { waitReady } from "./support/runQ";
import { useQ } from "./support/useQ";

jest.setTimeout(30_000);

const t = useQ();

/** Sends `n` stamp messages on `queue` and dead-letters them as a worker that gave up would (consume + nack). */
async function deadLetters(n: number, queue = "default"): Promise<Message[]> {
  const broker = new RedisBroker({ url: REDIS_URL, namespace: t.namespace, logger: pino({ level: "silent" }) });
  try {
    const sent: Message[] = [];
    for (let i = 0; i < n; i++) {
      sent.push(await broker.enqueue(new Message({ queueName: queue, actorName: "stamp", args: [`dead${i}`], options: { retries: 3, traceback: `Traceback (most recent call last):\n  File "tasks.py", line 3, in stamp\nValueError: boom ${i}` } })));
    }
    const consumer = broker.consume(queue, { prefetch: 1, timeout: 100 });
    for (let i = 0; i < n; i++) {
      let m = await consumer.next();
      while (!m) m = await consumer.next();
      await consumer.nack(m);
      await new Promise((r) => setTimeout(r, 3)); // distinct times of death: listed oldest first
    }
    await consumer.close();
    return sent;
  } finally {
    await broker.close();
  }
}

/** Runs one inspection command to its end. */
async function q(args: string[], env?: NodeJS.ProcessEnv) {
  const run = t.q(args, { env });
  const code = await run.exitCode();
  return { code, stdout: run.stdout.filter(Boolean), stderr: run.lines.filter(Boolean) };
}

test("q queues shows each queue's counts after real work, as a table and as JSON", async () => {
  await deadLetters(2);
  await t.send("stamp", ["waiting1"]);
  await t.send("stamp", ["later"], { delay: 600_000 });
  const table = await q(["queues", "broker.js"]);
  expect(table.code).toBe(0);
  expect(table.stdout).toEqual([
    "QUEUE      PENDING  IN-FLIGHT  DELAYED  DEAD",
    "default *        1          0        1     2",
    "* found on the server, not declared by this broker module",
  ]);
  const json = await q(["queues", "broker.js", "--json", "--include", "emails"]);
  expect(json.code).toBe(0);
  expect(JSON.parse(json.stdout.join("\n"))).toEqual([
    { name: "default", pending: 1, inFlight: 0, delayed: 1, deadLetters: 2, declared: false },
    { name: "emails", pending: 0, inFlight: 0, delayed: 0, deadLetters: 0, declared: false },
  ]);
});

test("q dlq list pages through dead letters oldest first, with the actor, retries and the traceback's last line", async () => {
  const sent = await deadLetters(3);
  const first = await q(["dlq", "list", "broker.js", "default", "--limit", "2"]);
  expect(first.code).toBe(0);
  expect(first.stdout[0]).toBe("default: 3 dead letter(s)");
  expect(first.stdout[1]).toMatch(/^MESSAGE ID\s+ACTOR\s+RETRIES\s+DIED\s+LAST ERROR$/);
  expect(first.stdout.slice(2, 4).map((l) => l.split(/\s+/)[0])).toEqual([sent[0]!.messageId, sent[1]!.messageId]);
  expect(first.stdout[2]).toMatch(/ stamp +3 +\d{4}-\d\d-\d\dT.*Z +ValueError: boom 0$/);
  expect(first.stdout[4]).toBe("more: q dlq list broker.js default --cursor 2");
  const second = await q(["dlq", "list", "broker.js", "default", "--limit", "2", "--cursor", "2", "--json"]);
  const [page] = JSON.parse(second.stdout.join("\n"));
  expect(page.messages.map((m: { messageId: string }) => m.messageId)).toEqual([sent[2]!.messageId]);
  expect(page.next).toBeUndefined();
  expect(page.messages[0]).toMatchObject({ part: "dead", retries: 3, lastError: 'Traceback (most recent call last):\n  File "tasks.py", line 3, in stamp\nValueError: boom 2', message: { actor_name: "stamp", args: ["dead2"] } });
});

test("a dead letter requeued with q dlq requeue is run by a q worker exactly once; requeueing it again exits 1", async () => {
  const [a] = await deadLetters(3);
  const one = await q(["dlq", "requeue", "broker.js", "default", a!.messageId]);
  expect(one.code).toBe(0);
  expect(one.stdout).toEqual(["Requeued 1 of 1 dead letter(s) of default."]);
  const again = await q(["dlq", "requeue", "broker.js", "default", a!.messageId]);
  expect(again.code).toBe(1);
  expect(again.stderr[0]).toMatch(new RegExp(`^q: Message ${a!.messageId} is not a dead letter of default`));
  const all = await q(["dlq", "requeue", "broker.js", "default", "--all", "--json"]);
  expect(JSON.parse(all.stdout.join("\n"))).toEqual({ queue: "default", requeued: 2 });

  const worker = t.q(["broker.js", "tasks.js", "-p", "1"]);
  await waitReady(worker, 1);
  await waitFor("the three requeued messages to run", async () => (await t.events()).length >= 3);
  await new Promise((r) => setTimeout(r, 500)); // room for a duplicate to show, if there were one
  const events = (await t.events()).map((e) => e.split(":")[0]).sort();
  expect(events).toEqual(["dead0", "dead1", "dead2"]);
  expect(await t.queueLength()).toBe(0);
  const counts = JSON.parse((await q(["queues", "broker.js", "--json", "--include", "default"])).stdout.join("\n"));
  expect(counts.find((x: { name: string }) => x.name === "default")).toMatchObject({ pending: 0, deadLetters: 0 });
});

test("q dlq purge refuses without --yes (exit 2, nothing deleted) and deletes every dead letter with it", async () => {
  await deadLetters(2);
  const refused = await q(["dlq", "purge", "broker.js", "default"]);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toEqual(["q: error: q dlq purge deletes every dead letter of default for good; add --yes to do it."]);
  expect(await t.redis.zcard(`${t.namespace}:default.XQ`)).toBe(2);
  const done = await q(["dlq", "purge", "broker.js", "default", "--yes"]);
  expect(done.code).toBe(0);
  expect(done.stdout).toEqual(["Deleted 2 dead letter(s) of default."]);
  expect(await t.redis.zcard(`${t.namespace}:default.XQ`)).toBe(0);
});

test("q message show prints one message in full, finds it in any queue, and exits 1 for an unknown id", async () => {
  const [dead] = await deadLetters(1, "emails");
  const shown = await q(["message", "show", "broker.js", dead!.messageId]);
  expect(shown.code).toBe(0);
  expect(shown.stdout).toEqual([
    `message id:  ${dead!.messageId}`,
    "queue:       emails (dead letter)",
    "actor:       stamp",
    `enqueued:    ${new Date(dead!.messageTimestamp).toISOString()}`,
    expect.stringMatching(/^died: {8}\d{4}-.*Z$/),
    "retries:     3",
    'args:        ["dead0"]',
    "kwargs:      {}",
    expect.stringMatching(/^options: {5}\{"retries":3,"redis_message_id":"[0-9a-f-]{36}"\}$/),
    "last error:",
    "  Traceback (most recent call last):",
    '    File "tasks.py", line 3, in stamp',
    "  ValueError: boom 0",
  ]);
  const missing = await q(["message", "show", "broker.js", "00000000-0000-4000-8000-000000000000"]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toEqual(["q: Message 00000000-0000-4000-8000-000000000000 is not in any queue of RedisBroker."]);
});

test("with Redis unreachable an inspection command fails with exit 3 at the broker's default connectTimeout", async () => {
  const started = Date.now();
  const run = await q(["queues", "broker.js"], { REDIS_URL: "redis://127.0.0.1:1" });
  expect(run.code).toBe(3);
  expect(run.stderr.at(-1)).toBe("q: Could not connect to Redis within 5000 ms: connect ECONNREFUSED 127.0.0.1:1.");
  expect(Date.now() - started).toBeGreaterThanOrEqual(5000);
});

test("bad inspection arguments: one line, exit 2", async () => {
  expect(await q(["dlq"])).toMatchObject({ code: 2, stderr: ["q: error: name what to do with the dead letters: list, requeue or purge."] });
  expect(await q(["dlq", "requeue", "broker.js", "default"])).toMatchObject({ code: 2, stderr: ["q: error: q dlq requeue takes message ids or --all (not both, not neither)."] });
  expect(await q(["dlq", "list", "broker.js", "default", "--limit", "0"])).toMatchObject({ code: 2, stderr: ["q: listMessages: limit must be an integer from 1 to 500, got 0."] });
  expect(await q(["queues", "nope.js"])).toMatchObject({ code: 2 });
});
