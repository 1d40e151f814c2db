/**
 * The broker publishes through two private amqplib methods (`sendMessage`,
 * `pushConfirmCallback`) to write exactly Dramatiq's message properties. These tests break
 * loudly, naming the installed amqplib, when a release changes them, and check that the
 * public `publish` fallback (taken when they are missing) delivers correctly to RabbitMQ.
 */
import fs from "node:fs";
import path from "node:path";
import * as amqp from "amqplib";
import { actor } from "@q/core";
import { waitFor } from "@q/test-support";
import { AMQP_URL, requireRabbit } from "@q/test-support/rabbitmq";
import { PRIVATE_PUBLISH_API, hasPrivatePublishApi } from "../src/amqpPublish";
import { useHarness } from "./harness";

const AMQPLIB_VERSION = (
  JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve("amqplib")), "package.json"), "utf8")) as { version: string }
).version;

/** The prototype that defines `name` on `channel`'s class chain. */
function owner(channel: object, name: string): Record<string, unknown> | undefined {
  for (let p = Object.getPrototypeOf(channel); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.hasOwn(p, name)) return p as Record<string, unknown>;
  }
  return undefined;
}

describe(`amqplib ${AMQPLIB_VERSION}: the private publish API`, () => {
  let connection: amqp.ChannelModel;
  beforeAll(async () => {
    await requireRabbit(AMQP_URL);
    connection = await amqp.connect(AMQP_URL);
  });
  afterAll(() => connection.close());

  test("sendMessage(fields, properties, content) and pushConfirmCallback(cb) exist on plain and confirm channels", async () => {
    for (const channel of [await connection.createChannel(), await connection.createConfirmChannel()]) {
      const found = Object.fromEntries(
        Object.keys(PRIVATE_PUBLISH_API).map((name) => {
          const fn = (channel as unknown as Record<string, unknown>)[name];
          return [name, typeof fn === "function" ? fn.length : typeof fn];
        }),
      );
      if (JSON.stringify(found) !== JSON.stringify(PRIVATE_PUBLISH_API)) {
        throw new Error(
          `amqplib ${AMQPLIB_VERSION} changed the private methods @q/broker-rabbitmq publishes through: ` +
            `expected parameter counts ${JSON.stringify(PRIVATE_PUBLISH_API)}, found ${JSON.stringify(found)} on ${channel.constructor.name}. ` +
            "The broker now falls back to the public publish(); check src/amqpPublish.ts against this amqplib.",
        );
      }
      expect(hasPrivatePublishApi(channel)).toBe(true);
      await channel.close();
    }
  });
});

describe("without the private API, publishes take amqplib's public publish()", () => {
  const h = useHarness();
  const restore: (() => void)[] = [];

  beforeAll(async () => {
    // Make this file's amqplib look like a release whose private writer has another
    // signature. The jest module registry gives each test file its own amqplib, so no
    // other test sees this.
    const probe = await (await h.python.connection()).createChannel();
    for (const name of Object.keys(PRIVATE_PUBLISH_API)) {
      const fn = owner(probe, name)![name] as (...args: unknown[]) => unknown;
      const length = Object.getOwnPropertyDescriptor(fn, "length")!;
      Object.defineProperty(fn, "length", { value: length.value + 1 });
      restore.push(() => Object.defineProperty(fn, "length", length));
    }
    await probe.close();
  });
  afterAll(() => restore.forEach((undo) => undo()));

  test("the check sees the change", async () => {
    const channel = await (await h.python.connection()).createConfirmChannel();
    expect(hasPrivatePublishApi(channel)).toBe(false);
    await channel.close();
  });

  test.each([
    ["without confirms", false],
    ["with confirms", true],
  ])("an @q producer's messages reach RabbitMQ persistent, with their priority, and each runs once (%s)", async (_t, confirmDelivery) => {
    const queue = h.queue("fallback");
    const producer = h.broker({ confirmDelivery, maxPriority: 10 });
    const job = actor(function fallback_job(_n: number) {}, { broker: producer, queueName: queue });
    await job.send(1);
    await job.sendWithOptions({ args: [2], brokerPriority: 7 });

    const got = await h.python.settled(queue);
    expect(got.map((m) => JSON.parse(m.body.toString("utf8")).args)).toEqual([[2], [1]]); // priority 7 first
    expect(got.map((m) => [m.properties.deliveryMode, m.properties.priority])).toEqual([
      [2, 7],
      [2, undefined],
    ]);
    // The public publish() always writes a headers table; the private path writes none.
    // An empty one here shows the fallback was taken.
    expect(got.map((m) => m.properties.headers)).toEqual([{}, {}]);

    const consumer = h.broker({ maxPriority: 10 });
    const ran: number[] = [];
    actor(
      function fallback_job(n: number) {
        ran.push(n);
      },
      { broker: consumer, queueName: queue },
    );
    await h.worker(consumer);
    await waitFor("both messages to run", () => ran.length === 2);
    await consumer.join(queue, { timeout: 5000 });
    expect(ran.sort()).toEqual([1, 2]);
  });
});
