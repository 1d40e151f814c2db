import { Interrupt } from "./Interrupt";

/**
 * The worker is shutting down and the actor asked to be told (`notifyShutdown`).
 */
export class Shutdown extends Interrupt {}
