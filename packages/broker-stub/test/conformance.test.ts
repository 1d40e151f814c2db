import { dqName, qName } from "@q/core/broker";
import { type DeadLetter, runBrokerConformance } from "@q/core/testing";
import pino from "pino";
import { StubBroker } from "../src";

/** The stub's dead letters of a canonical queue: nacked deliveries (queue and delay queue) and poison payloads. */
function stubDeadLetters(broker: StubBroker, queueName: string): DeadLetter[] {
  const nacked = [queueName, dqName(queueName)].flatMap((name) => broker.deadLettersByQueue.get(name) ?? []);
  return [
    ...nacked.map((proxy) => ({
      messageId: proxy.messageId,
      data: proxy.raw,
      reason: proxy.exception instanceof Error ? proxy.exception.message : undefined,
    })),
    ...broker.poisonMessages.filter((p) => qName(p.queueName) === queueName).map((p) => ({ data: p.data, reason: p.reason })),
  ];
}

runBrokerConformance({
  name: "StubBroker",
  logger: pino({ level: "silent" }),
  makeBroker: (logger, options) => new StubBroker({ logger, ...options }),
  injectRaw: async (broker, queueName, bytes) => broker.enqueueRaw(queueName, bytes),
  deadLetters: async (broker, queueName) => stubDeadLetters(broker, queueName),
});
