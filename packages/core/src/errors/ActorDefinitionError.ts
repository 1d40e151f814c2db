import { QError } from "./QError";

/**
 * An actor was declared with an invalid name, queue name or option.
 *
 * @example
 * actor(fn, { queueName: "has space" }) // throws ActorDefinitionError
 */
export class ActorDefinitionError extends QError {}
