import type { Broker } from "../broker/Broker";
import type { Logger } from "./Logger";

const cache = new WeakMap<Broker, Map<string, Logger>>();

/**
 * A named child of the broker's logger, made once per broker and name (log calls on
 * hot paths should not build loggers).
 *
 * @example
 * childLogger(broker, "q.middleware.retries.Retries").info("Retrying…");
 */
export function childLogger(broker: Broker, name: string): Logger {
  let byName = cache.get(broker);
  if (!byName) cache.set(broker, (byName = new Map()));
  let logger = byName.get(name);
  if (!logger) byName.set(name, (logger = broker.rootLogger.child({ name })));
  return logger;
}
