import { runBrokerConformance } from "@q/core/testing";
import { RabbitmqBroker } from "../src";
import { closeAndDelete, xqDeadLetters } from "./conformanceHooks";
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
  deadLetters: xqDeadLetters(() => python),
  destroyBroker: closeAndDelete(() => python),
});
