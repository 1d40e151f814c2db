import { AgeLimit } from "./AgeLimit";
import { Callbacks } from "./Callbacks";
import type { Middleware } from "./Middleware";
import { Pipelines } from "./Pipelines";
import { Retries } from "./Retries";
import { ShutdownNotifications } from "./ShutdownNotifications";
import { TimeLimit } from "./TimeLimit";

/**
 * Fresh instances of the default middleware, in Dramatiq's order (which decides the
 * order hooks run in): AgeLimit, TimeLimit, ShutdownNotifications, Callbacks,
 * Pipelines, Retries.
 *
 * @example
 * const broker = new StubBroker({ middleware: [...defaultMiddleware(), new CurrentMessage()] });
 */
export function defaultMiddleware(): Middleware[] {
  return [new AgeLimit(), new TimeLimit(), new ShutdownNotifications(), new Callbacks(), new Pipelines(), new Retries()];
}
