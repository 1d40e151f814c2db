import type { ChildMessage } from "../protocol";

/**
 * Sends a message over the IPC channel if the supervisor is still there. Small
 * messages on a free pipe are written at once, so a `started` report is out before a
 * CPU-bound actor blocks the event loop.
 */
export function sendToSupervisor(message: ChildMessage, done?: () => void): void {
  if (!process.send || !process.connected) {
    done?.();
    return;
  }
  try {
    process.send(message, undefined, {}, () => done?.());
  } catch {
    done?.();
  }
}
