/**
 * The core conformance kit on quorum queues (`queueType: "quorum"`), on a dedicated node
 * (quorum queues are replicated state the shared server should not collect). No case is
 * skipped: the kit's "priorities" case is about actor priorities (the worker's order),
 * which quorum queues do not affect; AMQP priorities (`maxPriority`) are refused with
 * quorum at construction (see quorum.test.ts).
 */
import { runBrokerConformance } from "@q/core/testing";
import { RabbitmqBroker } from "../src";
import { closeAndDelete, useNodeSides, xqDeadLetters } from "./conformanceHooks";
import { useRabbitServer } from "./rabbitServer";

const server = useRabbitServer();
const sides = useNodeSides(() => server().url());

runBrokerConformance<RabbitmqBroker>({
  name: "RabbitmqBroker (quorum queues)",
  makeBroker: (logger, options) => new RabbitmqBroker({ url: server().url(), logger, queueType: "quorum", ...options }),
  // Raw bytes as a foreign producer writes them, into quorum queues declared as the broker does.
  injectRaw: sides.injectRaw,
  deadLetters: xqDeadLetters(sides.python),
  destroyBroker: closeAndDelete(sides.python),
});
