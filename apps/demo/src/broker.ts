/**
 * The one place where the demo chooses its broker.
 *
 * Today there is one choice: the in-memory StubBroker from @q/broker-stub. The producer and
 * the worker share this process, and nothing needs a server. When a Redis or RabbitMQ broker
 * package exists, pick it here (for example from an environment variable). The rest of the
 * demo only uses the `Broker` base class from @q/core, so nothing else has to change.
 */
import { StubBroker } from "@q/broker-stub";
import { type Broker, type Logger } from "@q/core";

export interface CreateBrokerOptions {
  /** Where log lines go; default: @q's default logger (stderr, `warn` unless `LOG_LEVEL` says otherwise). */
  logger?: Logger;
}

/**
 * Makes the broker the demo runs on.
 *
 * @example
 * const broker = createBroker();
 * const worker = new Worker(broker);
 */
export function createBroker(options: CreateBrokerOptions = {}): Broker {
  return new StubBroker({ logger: options.logger });
}
