import { Message } from "../message/Message";

/**
 * Internal: the members of a group step as written in `pipe_target_group`
 * (`{"members": [message dicts]}`), or why it cannot be read.
 *
 * @example
 * const members = readGroupStep(message.options.pipe_target_group);
 * if (typeof members === "string") warn(members);
 */
export function readGroupStep(value: unknown): Message[] | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "expected an object with a list of members";
  const members = (value as { members?: unknown }).members;
  if (!Array.isArray(members) || members.length === 0) return "expected a non-empty list of members";
  const out: Message[] = [];
  for (const [i, member] of members.entries()) {
    try {
      out.push(Message.fromDict(member));
    } catch (error) {
      return `member ${i}: ${(error as Error).message}`;
    }
  }
  return out;
}
