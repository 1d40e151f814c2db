/** Dramatiq writes `message_id` second to last, so it sits in the last few hundred bytes. */
const TAIL = 512;
const ID = /"message_id"\s*:\s*"([0-9A-Za-z_.:-]{1,100})"/;

/**
 * The `message_id` of encoded message bytes, read from their head and tail without decoding
 * the rest (for log lines about a payload too large, or too broken, to decode). Undefined when
 * it is not found there. Only a hint: the bytes were not checked to be a message.
 *
 * @example
 * peekMessageId(Buffer.from('{"message_id":"7f1c","message_timestamp":1}')) // "7f1c"
 */
export function peekMessageId(data: Buffer): string | undefined {
  const tail = ID.exec(data.subarray(Math.max(0, data.length - TAIL)).toString("latin1"));
  if (tail) return tail[1];
  if (data.length <= TAIL) return undefined;
  return ID.exec(data.subarray(0, TAIL).toString("latin1"))?.[1];
}
