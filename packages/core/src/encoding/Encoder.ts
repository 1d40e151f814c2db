/**
 * Turns message dicts (and stored results) into bytes and back. The default is
 * {@link JSONEncoder}, which writes exactly what Python Dramatiq writes.
 *
 * @example
 * const encoder: Encoder = { encode: (v) => Buffer.from(JSON.stringify(v)), decode: (b) => JSON.parse(b.toString()) };
 * setEncoder(encoder);
 */
export interface Encoder {
  encode(data: unknown): Buffer;
  /**
   * Optional: the same bytes as {@link Encoder.encode} as a UTF-8 string. Brokers whose
   * clients write strings use it to skip a Buffer per message.
   */
  encodeText?(data: unknown): string;
  /** Throws on bytes it cannot read; callers wrap the failure in a DecodeError. */
  decode(data: Buffer): unknown;
}
