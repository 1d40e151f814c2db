/**
 * The core conformance kit on quorum queues (`queueType: "quorum"`), on a dedicated node
 * (quorum queues are replicated state the shared server should not collect). No case is
 * skipped: the kit's "priorities" case is about actor priorities (the worker's order),
 * which quorum queues do not affect; AMQP priorities (`maxPriority`) are refused with
 * quorum at construction (see quorum.test.ts).
 */
import * as amqp from "amqplib";
import { Message } from "@q/core";
import { runBrokerConformance } from "@q/core/testing";
import { RabbitmqBroker } from "../src";
import { QUEUE_FLAGS } from "../src/queueArguments";
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
  deadLetters: async (_broker, queueName) =>
    (await python.settled(`${queueName}.XQ`)).map(({ body, properties }) => {
      let messageId: string | undefined;
      try {
        messageId = Message.decode(body).messageId;
      } catch {
        messageId = undefined;
      }
      const death = (properties.headers?.["x-death"] as { reason?: string; queue?: string }[] | undefined)?.[0];
      return { messageId, data: body, reason: death ? `${death.reason} from ${death.queue}` : undefined };
    }),
  destroyBroker: async (broker) => {
    await broker.close();
    for (const queue of broker.getDeclaredQueues()) await python.deleteAll(queue);
  },
});
