/**
 * The core conformance kit on quorum queues (`queueType: "quorum"`), on a dedicated node
 * (quorum queues are replicated state the shared server should not collect). No case is
 * skipped: the kit's "priorities" case is about actor priorities (the worker's order),
 * which quorum queues do not affect; AMQP priorities (`maxPriority`) are refused with
 * quorum at construction (see quorum.test.ts).
 */
import * as amqp from "amqplib";
import { runBrokerConformance } from "@q/core/testing";
import { RabbitmqBroker } from "../src";
import { QUEUE_FLAGS } from "../src/queueArguments";
import { closeAndDelete, xqDeadLetters } from "./conformanceHooks";
import { PythonSide } from "./pythonSide";
import { useRabbitServer } from "./rabbitServer";

const server = useRabbitServer();
let python: PythonSide;
let admin: amqp.ChannelModel;

beforeAll(async () => {
  python = await PythonSide.connect(server().url());
  admin = await amqp.connect(server().url());
  admin.on("error", () => undefined);
});

afterAll(async () => {
  // Jest may run the node's own afterAll (which stops it) first.
  await python?.close();
  await admin?.close().catch(() => undefined);
});

runBrokerConformance<RabbitmqBroker>({
  name: "RabbitmqBroker (quorum queues)",
  makeBroker: (logger, options) => new RabbitmqBroker({ url: server().url(), logger, queueType: "quorum", ...options }),
  // Raw bytes as a foreign producer writes them, into quorum queues declared as the broker does.
  injectRaw: async (broker, queueName, data) => {
    const channel = await admin.createChannel();
    for (const { name, args } of broker.queueSet(queueName).queues) await channel.assertQueue(name, { ...QUEUE_FLAGS, arguments: args });
    await channel.close();
    await python.publish(queueName, data);
  },
  deadLetters: xqDeadLetters(() => python),
  destroyBroker: closeAndDelete(() => python),
});
