import type { SupervisorChannel } from "./SupervisorChannel";

let current: SupervisorChannel | undefined;

/**
 * Installs the channel to the supervisor; the `q` command does this in each worker
 * process before it imports your modules. Not for apps.
 *
 * @example
 * setSupervisorChannel({ index: 0, onCollect() {}, publish: async () => {} });
 */
export function setSupervisorChannel(channel: SupervisorChannel | undefined): void {
  current = channel;
}

/**
 * The channel to the supervisor when this process is a worker process of `q`, else
 * `undefined` (a Worker you start yourself).
 *
 * @example
 * const channel = getSupervisorChannel();
 * if (channel) channel.onCollect("my-stats", () => snapshot());
 * else serveMyselfInProcess();
 */
export function getSupervisorChannel(): SupervisorChannel | undefined {
  return current;
}
