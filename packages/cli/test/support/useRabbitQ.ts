import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { RabbitmqBroker } from "@q/broker-rabbitmq";
import { silentLogger } from "@q/test-support";
import { AMQP_URL, freshQueue, requireRabbit } from "@q/test-support/rabbitmq";
import * as amqp from "amqplib";
import { killAllQ } from "./runQ";

/** Per-test state of the binary's RabbitMQ tests. */
export interface RabbitQTest {
  /** This test's queue (fresh), given to the fixtures as Q_QUEUE. */
  readonly queue: string;
  /** The file the fixture actors append their runs to (Q_EVENTS). */
  readonly eventsFile: string;
  /** A broker of the test's own, for sending and counting. */
  readonly producer: RabbitmqBroker;
  /** A plain connection, for looking at the server. */
  readonly admin: amqp.ChannelModel;
  /** The lines the fixture actors recorded. */
  events(): string[];
}

/**
 * For the binary's RabbitMQ tests: a fresh queue and events file per test, a producer broker;
 * after each test every q still running is killed and the queue with its .DQ and .XQ deleted.
 * Fails (never skips) without the RabbitMQ test server.
 */
export function useRabbitQ(prefix = "qclitest"): RabbitQTest {
  let queue = "";
  let eventsFile = "";
  let producer: RabbitmqBroker | undefined;
  let admin: amqp.ChannelModel | undefined;

  beforeAll(async () => {
    await requireRabbit();
    admin = await amqp.connect(AMQP_URL);
  });
  beforeEach(() => {
    queue = freshQueue(prefix);
    eventsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "q-cli-rabbit-")), "events");
    fs.writeFileSync(eventsFile, "");
    producer = new RabbitmqBroker({ url: AMQP_URL, logger: silentLogger() });
  });
  afterEach(async () => {
    await killAllQ();
    await producer?.flush(queue).catch(() => undefined);
    await producer?.close();
    const channel = await admin!.createChannel();
    for (const q of [queue, `${queue}.DQ`, `${queue}.XQ`]) await channel.deleteQueue(q);
    await channel.close();
  });
  afterAll(async () => {
    await admin?.close();
  });

  return {
    get queue() {
      return queue;
    },
    get eventsFile() {
      return eventsFile;
    },
    get producer() {
      return producer!;
    },
    get admin() {
      return admin!;
    },
    events: () => fs.readFileSync(eventsFile, "utf8").split("\n").filter(Boolean),
  };
}
