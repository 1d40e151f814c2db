import { QError } from "./QError";

/**
 * A message's arguments do not fit its actor, e.g. keyword arguments from a Python
 * producer sent to an actor declared without `acceptKwargs`. Never retried: it is dead-lettered.
 */
export class ArgumentError extends QError {}
