/**
 * A message as it travels: Dramatiq's seven fields, in wire order. Option keys are
 * snake_case wire keys (`max_retries`, `eta`, `pipe_target`, ...).
 *
 * @example
 * const data: MessageData = { queue_name: "default", actor_name: "add", args: [1, 2], kwargs: {}, options: {}, message_id: "…", message_timestamp: 1795246445586 };
 */
export interface MessageData {
  queue_name: string;
  actor_name: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  options: Record<string, unknown>;
  message_id: string;
  message_timestamp: number;
}
