/** Internal: the memcached binary-protocol requests the result backend sends. */
export const OPCODE = { GET: 0x00, SET: 0x01 } as const;
export const STATUS = { OK: 0, NOT_FOUND: 1 } as const;

/** Above 30 days memcached reads an exptime as a Unix time. */
const MAX_RELATIVE_SECONDS = 60 * 60 * 24 * 30;

/**
 * A TTL in ms as memcached's exptime: whole seconds rounded up, at least 1 (Dramatiq's
 * `int(ttl / 1000)` turns a sub-second TTL into 0, which memcached reads as "never
 * expires"), and an absolute Unix time past 30 days.
 */
export function expiry(ttl: number): number {
  const seconds = Math.max(1, Math.ceil(ttl / 1000));
  return seconds > MAX_RELATIVE_SECONDS ? Math.floor(Date.now() / 1000) + seconds : seconds;
}

/** A request frame: the 24-byte header (magic 0x80), then extras, key and value. */
export function frame(opcode: number, key: Buffer, opaque: number, extras: Buffer = Buffer.alloc(0), value: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt8(0x80, 0);
  header.writeUInt8(opcode, 1);
  header.writeUInt16BE(key.length, 2);
  header.writeUInt8(extras.length, 4);
  header.writeUInt32BE(extras.length + key.length + value.length, 8);
  header.writeUInt32BE(opaque >>> 0, 12);
  return Buffer.concat([header, extras, key, value]);
}

/** SET's extras: flags 0 (plain bytes, what pylibmc hands Dramatiq back unchanged) and the exptime. */
export function setExtras(ttl: number): Buffer {
  const extras = Buffer.alloc(8);
  extras.writeUInt32BE(0, 0);
  extras.writeUInt32BE(expiry(ttl), 4);
  return extras;
}
