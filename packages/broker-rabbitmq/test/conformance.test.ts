import { Message } from "@q/core";
import { runBrokerConformance } from "@q/core/testing";
import { RabbitmqBroker } from "../src";
import { PythonSide } from "./pythonSide";
import { AMQP_URL, requireRabbit } from "@q/test-support/rabbitmq";

let python: PythonSide;

beforeAll(async () => {
  await requireRabbit();
  python = await PythonSide.connect();
});

afterAll(async () => {
  await python?.close();
});

runBrokerConformance<RabbitmqBroker>({
  name: "RabbitmqBroker",
  makeBroker: (logger, options) => new RabbitmqBroker({ url: AMQP_URL, logger, ...options }),
  // As Python Dramatiq writes it: declare the three queues, publish persistent bytes.
  injectRaw: async (_broker, queueName, data) => {
    await python.declare(queueName);
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
