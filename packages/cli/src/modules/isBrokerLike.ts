import type { Broker } from "@q/core";

const METHODS = ["consume", "enqueue", "declareActor", "declareQueue", "addMiddleware", "emitAfter", "emitBefore", "close"] as const;

/**
 * Whether `value` is a broker, by its shape rather than `instanceof`: a broker made
 * with another copy of @q/core (another version, a bundled app) is still a broker.
 *
 * @example
 * isBrokerLike(new RedisBroker()) // true
 */
export function isBrokerLike(value: unknown): value is Broker {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return METHODS.every((m) => typeof v[m] === "function") && v.actors instanceof Map && Array.isArray(v.middleware);
}
