import { runInspectorConformance } from "@q/core/testing";
import pino from "pino";
import { StubBroker } from "../src";

runInspectorConformance({
  name: "StubBroker",
  makeBroker: () => new StubBroker({ logger: pino({ level: "silent" }) }),
  injectRaw: async (broker, queueName, bytes) => broker.enqueueRaw(queueName, bytes),
});
