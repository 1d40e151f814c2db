/**
 * Connection options: URL lists and `;` strings for failover (17.1 #29), vhosts in the
 * URL, heartbeat, bounded failures when no node answers, and option validation. Runs
 * on a dedicated node (vhosts are created there, not on the shared server).
 */
import { ArgumentError, ConfigurationError, ConnectionError, ConnectionFailed, Message, actor } from "@q/core";
import { RabbitmqBroker } from "../src";
import { useHarness } from "./harness";
import { PythonSide } from "./pythonSide";
import { useRabbitServer } from "./rabbitServer";
import { LEVEL, captureLogger, silentLogger, waitFor } from "@q/test-support";

jest.setTimeout(30_000);

const server = useRabbitServer();
const h = useHarness(() => server().url());

/** Nothing listens on port 1: connections are refused at once. */
const DEAD = "amqp://guest:guest@127.0.0.1:1";

test.each([
  ["a list of URLs", () => [DEAD, server().url()]],
  ["a ';'-separated string", () => `${DEAD};${server().url()}`],
])("given %s, the broker skips a node that does not answer (17.1 #29)", async (_title, url) => {
  const queue = h.queue("failover");
  const { logger, find } = captureLogger("info");
  const broker = h.broker({ url: url(), logger });
  const seen: number[] = [];
  const job = actor(
    function failover_job(n: number) {
      seen.push(n);
    },
    { broker, queueName: queue },
  );
  await h.worker(broker);
  await job.send(1);
  await waitFor("the message", () => seen.length === 1);
  expect(find(LEVEL.warn, "Could not connect to RabbitMQ at amqp://guest:***@127.0.0.1:1")).not.toHaveLength(0);
  expect(find(LEVEL.info, `Connected to RabbitMQ at amqp://guest:***@127.0.0.1:${server().port}`)).toHaveLength(2);
});

test("the vhost in the URL is where the queues live (one vhost per tenant)", async () => {
  await server().ctl(["add_vhost", "tenant-a"]);
  await server().ctl(["set_permissions", "-p", "tenant-a", "guest", ".*", ".*", ".*"]);
  const tenant = await PythonSide.connect(server().url("tenant-a"));
  const queue = h.queue("tenant");
  try {
    const broker = h.broker({ url: server().url("tenant-a"), confirmDelivery: true });
    await broker.enqueue(new Message({ queueName: queue, actorName: "x", args: [1] }));
    expect(await tenant.count(queue)).toBe(1);
    expect(await h.python.exists(queue)).toBe(false); // not in the default vhost
  } finally {
    await tenant.deleteAll(queue);
    await tenant.close();
    await server().ctl(["delete_vhost", "tenant-a"]);
  }
});

test("heartbeat sets the negotiated heartbeat (seconds)", async () => {
  const queue = h.queue("hb");
  const broker = h.broker({ heartbeat: 7, connectionName: "hb-test" });
  await broker.enqueue(new Message({ queueName: queue, actorName: "x" }));
  const rows = (await server().ctl(["list_connections", "client_properties", "timeout", "--quiet", "--no-table-headers"])).split("\n");
  expect(rows.filter((r) => r.includes("hb-test (producer)")).map((r) => r.trim().split(/\s+/).pop())).toEqual(["7"]);
});

test("with no node reachable, a send fails with a ConnectionError after publishTimeout, and close() still resolves", async () => {
  const broker = new RabbitmqBroker({ url: DEAD, publishTimeout: 300, logger: silentLogger() });
  const job = actor(function unreachable() {}, { broker, queueName: "never_declared" });
  const error = await job.send().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectionError);
  expect((error as Error).message).toMatch(/RabbitMQ was unreachable for 300 ms \(tried amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1; last error: connect ECONNREFUSED/);
  const started = Date.now();
  await broker.close();
  expect(Date.now() - started).toBeLessThan(1000);
});

test("a consumer of a broker that never reached any node fails with ConnectionFailed after connectTimeout", async () => {
  const broker = new RabbitmqBroker({ url: DEAD, connectTimeout: 400, logger: silentLogger() });
  actor(function unreachable() {}, { broker, queueName: "never_consumed" });
  const consumer = broker.consume("never_consumed", { timeout: 100 });
  const started = Date.now();
  let error: unknown;
  // Each next() gives up after its timeout (null) until connectTimeout has passed with no connection.
  while (error === undefined && Date.now() - started < 5000) error = await consumer.next().then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConnectionFailed);
  expect((error as Error).message).toMatch(/ECONNREFUSED/);
  expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  await broker.close();
});

test("a vhost that does not exist: connect() fails with ConnectionFailed after connectTimeout, saying so", async () => {
  const { logger, find } = captureLogger("info");
  const broker = new RabbitmqBroker({ url: server().url("no-such-vhost"), connectTimeout: 1000, logger });
  const consumer = broker.consume(h.queue("novhost"), { timeout: 100 });
  const explained = 'RabbitMQ refused access to vhost "no-such-vhost": it does not exist, or user "guest" has no permissions on it';
  try {
    const error = await consumer.connect!().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionFailed);
    expect((error as Error).message).toBe(
      `Could not connect to RabbitMQ within 1000 ms (tried amqp://guest:***@127.0.0.1:${server().port}/no-such-vhost; last error: ${explained}).`,
    );
    expect(find(LEVEL.warn, "Could not connect to RabbitMQ at").map((l) => l.msg)).toEqual([
      `Could not connect to RabbitMQ at amqp://guest:***@127.0.0.1:${server().port}/no-such-vhost: ${explained}`,
    ]);
  } finally {
    await broker.close();
  }
});

test("connect() resolves once the consumer is subscribed: a message published then is delivered to it", async () => {
  const queue = h.queue("connect");
  const broker = h.broker();
  const consumer = broker.consume(queue, { timeout: 100 });
  await consumer.connect!();
  expect((await (await h.python.channel()).checkQueue(queue)).consumerCount).toBe(1);
  await h.python.publish(queue, new Message({ queueName: queue, actorName: "x", args: [1] }).encode());
  const message = await consumer.next();
  expect(message?.args).toEqual([1]);
  await consumer.ack(message!);
  await consumer.close();
});

test("bad options are refused with clear errors", () => {
  const make = (options: ConstructorParameters<typeof RabbitmqBroker>[0]) => () => new RabbitmqBroker({ logger: silentLogger(), ...options });
  expect(make({ url: "redis://127.0.0.1" })).toThrow("Expected an amqp:// or amqps:// URL, got redis://127.0.0.1.");
  expect(make({ url: "amqp://user:secret@" })).toThrow(/Not a valid URL: amqp:\/\/user:\*\*\*@/);
  expect(make({ url: " ; " })).toThrow(ConfigurationError);
  expect(make({ maxPriority: 0 })).toThrow("maxPriority must be an integer from 1 to 255, got 0.");
  expect(make({ maxPriority: 256 })).toThrow(ConfigurationError);
  expect(make({ heartbeat: -1 })).toThrow(ConfigurationError);
  expect(make({ maxDelayHold: 10 })).toThrow("maxDelayHold must be at least 1000 ms, got 10.");
  expect(make({ url: "amqps://guest:guest@rabbit.example:5671/prod;amqp://127.0.0.1" })).not.toThrow();
});

test("a broker_priority outside 0..255 is refused at send time", async () => {
  const broker = h.broker({ maxPriority: 10 });
  const job = actor(function prio_bad() {}, { broker, queueName: h.queue("prio_bad") });
  await expect(job.sendWithOptions({ brokerPriority: 300 })).rejects.toThrow(ArgumentError);
});
