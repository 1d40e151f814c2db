import type { Broker } from "../broker/Broker";
import { MiddlewareMissing } from "../errors/MiddlewareMissing";
import type { Middleware } from "../middleware/Middleware";

/**
 * Internal: the broker's instance of `kind`, or a {@link MiddlewareMissing} saying what
 * needed it and how to add it.
 *
 * @example
 * const callbacks = requireMiddleware(broker, GroupCallbacks, "A group with completion callbacks", "new GroupCallbacks(rateLimiterBackend)");
 */
export function requireMiddleware<M extends Middleware>(broker: Broker, kind: abstract new (...args: never[]) => M, what: string, example: string): M {
  const found = broker.middleware.find((m): m is M => m instanceof kind);
  if (!found) {
    throw new MiddlewareMissing(`${what} needs the ${kind.name} middleware on the broker: broker.addMiddleware(${example}).`, kind.name);
  }
  return found;
}
