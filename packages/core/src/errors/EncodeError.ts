import { QError } from "./QError";

/**
 * A value cannot travel in a message: the arguments or options hold something that JSON
 * cannot carry faithfully (a function, BigInt, undefined, a cycle, a class instance, NaN).
 *
 * @example
 * await add.send(1n as never) // throws EncodeError: args[0] is a bigint, which JSON cannot carry
 */
export class EncodeError extends QError {}
