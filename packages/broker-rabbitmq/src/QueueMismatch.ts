import { ConfigurationError } from "@q/core";

/**
 * RabbitMQ refused to declare a queue because it already exists with other arguments
 * (`PRECONDITION_FAILED - inequivalent arg …`): another producer or worker, Python
 * Dramatiq included, declared it with another `queueType`, `maxPriority`,
 * `deliveryLimit` or dead-message TTL. Sends reject with it at once; a worker's
 * consumers fail to start with it, so `q` exits (code 2) with its message instead of
 * retrying forever. Fix the options, or delete the queue so it is declared again.
 *
 * @example
 * try {
 *   await job.send();
 * } catch (error) {
 *   if (error instanceof QueueMismatch) console.error(error.queue, error.argument, error.message);
 * }
 */
export class QueueMismatch extends ConfigurationError {
  constructor(
    message: string,
    /** The queue RabbitMQ refused to declare. */
    readonly queue: string,
    /** The argument that differs (`x-queue-type`, `x-max-priority`, ...), when RabbitMQ named it. */
    readonly argument: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
