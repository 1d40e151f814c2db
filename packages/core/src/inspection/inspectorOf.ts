import type { Broker } from "../broker/Broker";
import { ConfigurationError } from "../errors/ConfigurationError";
import type { QueueInspector } from "./QueueInspector";

/**
 * The broker's {@link QueueInspector}; a {@link ConfigurationError} for a broker without one.
 *
 * @example
 * const inspector = inspectorOf(new RedisBroker({ url: "redis://127.0.0.1:6379" }));
 * console.log(await inspector.listQueues());
 */
export function inspectorOf(broker: Broker): QueueInspector {
  if (typeof broker.inspect !== "function") {
    throw new ConfigurationError(`${broker.constructor.name} has no queue inspector (broker.inspect()); the Redis, RabbitMQ and stub brokers have one.`);
  }
  return broker.inspect();
}
