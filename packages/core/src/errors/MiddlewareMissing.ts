import { ConfigurationError } from "./ConfigurationError";

/**
 * A group, pipeline or result read needs a middleware the broker does not have:
 * `Pipelines` for a pipeline of more than one step, `GroupCallbacks` for completion
 * callbacks and group steps, `Results` for waiting on results. Thrown by `run()` (or by
 * the waiting call) rather than letting the work silently stop after the first step.
 * `middleware` names what is missing. A {@link ConfigurationError}, so code that caught
 * the broader class keeps working.
 *
 * @example
 * await pipeline([a.message(1), b.message()], { broker }).run();
 * // MiddlewareMissing: A pipeline of 2 steps needs the Pipelines middleware on the broker ...
 */
export class MiddlewareMissing extends ConfigurationError {
  constructor(
    message: string,
    readonly middleware: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
