/** Internal: memcached binary-protocol opcodes and statuses this backend uses. */
export const OP = { GET: 0x00, SET: 0x01, ADD: 0x02 } as const;
export const STATUS = { OK: 0, NOT_FOUND: 1, EXISTS: 2, NOT_STORED: 5 } as const;

/** pylibmc's flag for Python ints: a value with it reads back in Python as an int. */
export const PYLIBMC_INT_FLAG = 4;

/** memcached reads an exptime above 30 days as a Unix time. */
const MAX_RELATIVE_SECONDS = 60 * 60 * 24 * 30;

/**
 * A TTL in ms as memcached's exptime: whole seconds, truncated as Dramatiq's `int(ttl /
 * 1000)` does, except that a sub-second TTL is 1 s (Dramatiq's 0 would mean "never
 * expires"), and past 30 days an absolute Unix time (what memcached expects there).
 */
export function exptime(ttl: number): number {
  const seconds = Math.max(1, Math.floor(ttl / 1000));
  return seconds > MAX_RELATIVE_SECONDS ? Math.floor(Date.now() / 1000) + seconds : seconds;
}

/** One request: 24-byte header (magic 0x80), extras, key, value; `cas` for a compare-and-set. */
export function request(opcode: number, key: Buffer, extras: Buffer, value: Buffer, opaque: number, cas?: Buffer): Buffer {
  const buf = Buffer.alloc(24 + extras.length + key.length + value.length);
  buf.writeUInt8(0x80, 0);
  buf.writeUInt8(opcode, 1);
  buf.writeUInt16BE(key.length, 2);
  buf.writeUInt8(extras.length, 4);
  buf.writeUInt32BE(extras.length + key.length + value.length, 8);
  buf.writeUInt32BE(opaque >>> 0, 12);
  if (cas) cas.copy(buf, 16, 0, 8);
  extras.copy(buf, 24);
  key.copy(buf, 24 + extras.length);
  value.copy(buf, 24 + extras.length + key.length);
  return buf;
}

/** SET/ADD extras: flags and exptime. */
export function storeExtras(flags: number, expiry: number): Buffer {
  const extras = Buffer.alloc(8);
  extras.writeUInt32BE(flags, 0);
  extras.writeUInt32BE(expiry, 4);
  return extras;
}
