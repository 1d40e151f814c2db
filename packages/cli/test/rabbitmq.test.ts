// The q binary on RabbitMQ: the same supervisor, signals and exit codes as on Redis (nothing in
// the CLI is broker-specific). Fails (never skips) without the RabbitMQ test server.
import { Message } from "@q/core";
import { waitFor } from "@q/test-support";
import { AMQP_URL } from "@q/test-support/rabbitmq";
import { READY, runQ, waitReady } from "./support/runQ";
import { useRabbitQ } from "./support/useRabbitQ";

jest.setTimeout(60_000);

const r = useRabbitQ("qclitest");

const q = (args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
  runQ(["rabbitmq/broker.js", "rabbitmq/tasks.js", ...args], { env: { AMQP_URL, Q_QUEUE: r.queue, Q_EVENTS: r.eventsFile, ...env } });
const events = () => r.events();
const send = (actorName: string, args: unknown[]) => r.producer.enqueue(new Message({ queueName: r.queue, actorName, args }));

test("q runs RabbitMQ workers in two processes and stops them with exit 0 on TERM", async () => {
  const run = q(["-p", "2", "-t", "4"]);
  await waitReady(run, 2);
  for (let i = 0; i < 6; i++) await send("stamp", [`m${i}`]);
  await waitFor("six stamps", () => events().length === 6);
  expect(events().map((e) => e.split(":")[0]).sort()).toEqual(["m0", "m1", "m2", "m3", "m4", "m5"]);

  run.proc.kill("SIGTERM");
  expect(await run.exitCode()).toBe(0);
  expect(run.matching(/\[q\.worker\.Worker\] \[INFO\] Worker has been shut down\.$/)).toHaveLength(2);
});

test("TERM on RabbitMQ lets the running message finish and returns the prefetched ones to the queue", async () => {
  const run = q(["-p", "1", "-t", "1"]);
  await waitReady(run);
  for (const tag of ["a", "b", "c"]) await send("slow", [tag, 800]);
  await waitFor("the first message to start", () => events().includes("started:a"));

  run.proc.kill("SIGTERM");
  expect(await run.exitCode()).toBe(0);

  expect(events()).toEqual(["started:a", "done:a"]);
  const channel = await r.admin.createChannel();
  try {
    expect((await channel.checkQueue(r.queue)).messageCount).toBe(2);
  } finally {
    await channel.close();
  }
});

/** The broker's default connectTimeout. */
const CONNECT_TIMEOUT = 10_000;
const MISSING_VHOST = "q-no-such-vhost";

describe.each([
  // Port 1 on loopback refuses connections at once.
  ["cannot be reached", () => "amqp://guest:guest@127.0.0.1:1", "connect ECONNREFUSED 127.0.0.1:1"],
  ["refuses the credentials (guest with a wrong password)", () => withPassword(AMQP_URL, "wrong"), "403 (ACCESS-REFUSED)"],
  [
    "has no such vhost",
    () => `${AMQP_URL.replace(/\/$/, "")}/${MISSING_VHOST}`,
    `RabbitMQ refused access to vhost "${MISSING_VHOST}": it does not exist, or user "guest" has no permissions on it`,
  ],
])("a RabbitMQ that %s at boot (default connectTimeout)", (_title, url, reason) => {
  test("exits 3 after connectTimeout, never says it is ready, and logs each consumer's error once", async () => {
    const started = Date.now();
    const run = q(["-p", "1"], { AMQP_URL: url() });
    expect(await run.exitCode(CONNECT_TIMEOUT + 30_000)).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(CONNECT_TIMEOUT);
    expect(run.matching(READY)).toEqual([]);
    const failed = `Could not connect to RabbitMQ within ${CONNECT_TIMEOUT} ms`;
    const supervisor = run.matching(/\[q\.MainProcess\] \[CRITICAL\]/);
    expect(supervisor).toEqual([expect.stringContaining(`Broker connection failed: ${failed}`)]);
    expect(supervisor[0]).toContain(reason);
    // One line per consumer (the queue and its delay queue), none twice.
    const errors = run.matching(/Consumer encountered a connection error/).map((l) => /\[(q\.worker\.ConsumerThread\([^)]*\))\] \[CRITICAL\] (.*)$/.exec(l)!.slice(1));
    expect(errors.sort()).toEqual(
      [`q.worker.ConsumerThread(${r.queue})`, `q.worker.ConsumerThread(${r.queue}.DQ)`].map((thread) => [
        thread,
        expect.stringMatching(new RegExp(`^Consumer encountered a connection error: ${failed} \\(.*${escape(reason)}`)),
      ]),
    );
    expect(run.lines.join("\n")).not.toContain("wrong@");
  }, CONNECT_TIMEOUT + 40_000);
});

test("TERM while the worker is still connecting to an unreachable RabbitMQ: exit 0 at once, never ready", async () => {
  const run = q(["-p", "1"], { AMQP_URL: "amqp://guest:guest@127.0.0.1:1" });
  await run.line(/Could not connect to RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1/);
  const signalled = Date.now();
  run.proc.kill("SIGTERM");
  expect(await run.exitCode()).toBe(0);
  expect(Date.now() - signalled).toBeLessThan(CONNECT_TIMEOUT); // it did not wait for connectTimeout
  expect(run.matching(READY)).toEqual([]);
  expect(run.matching(/\[CRITICAL\]/)).toEqual([]);
});

function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
