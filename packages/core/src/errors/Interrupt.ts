import { QError } from "./QError";

/**
 * Interrupts a running message from outside: its AbortSignal aborts with this error
 * as the reason, and the worker counts the message as failed at that moment.
 */
export class Interrupt extends QError {}
