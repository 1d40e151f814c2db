import { ConnectionError } from "./ConnectionError";

/**
 * The connection to the broker's server was closed (or did not answer) while in use.
 *
 * `written` says what a failed call left behind: `"no"` — the command never reached the
 * server (it waited for a connection that did not come back in time, or the outage
 * buffer was full), so nothing happened and sending again cannot duplicate; `"maybe"` —
 * it was on the wire when the connection dropped or the server stopped answering, so it
 * may have taken effect. Either way nothing is written after the rejection.
 *
 * @example
 * try { await job.send(1) } catch (e) {
 *   if (e instanceof ConnectionClosed && e.written === "no") await retryLater(() => job.send(1));
 * }
 */
export class ConnectionClosed extends ConnectionError {
  readonly written: "no" | "maybe";

  constructor(message: string, options?: { cause?: unknown; written?: "no" | "maybe" }) {
    super(message, options);
    this.written = options?.written ?? "maybe";
  }
}
