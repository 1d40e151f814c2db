import type { MessageProxy } from "../message/MessageProxy";

/**
 * Internal: the run whose actor function is executing its synchronous start right now — the
 * worker's message, or `"inline"` for a direct call — set only for the duration of that call.
 * {@link currentSignal} reads it. A plain variable rather than AsyncLocalStorage, which would
 * cost every promise in the process; JavaScript runs one call at a time, so while it is set
 * no other actor's code runs.
 */
export const startingRun: { current: MessageProxy | "inline" | undefined } = { current: undefined };
