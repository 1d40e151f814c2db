import { Interrupt } from "./Interrupt";

/**
 * A message ran past its time limit (`timeLimit`, 10 minutes by default).
 */
export class TimeLimitExceeded extends Interrupt {}
