/**
 * The part of a memjs `Client` (memjs 1.3) the memcached result backend uses: server
 * choice, connections and retries (`perform`) and request numbering (`seq`). Requests are
 * built by the backend so the flags it writes are explicit; declared structurally so the
 * types need no `@types/memjs`.
 *
 * @example
 * const client: MemjsClient = require("memjs").Client.create("127.0.0.1:11211");
 */
export interface MemjsClient {
  seq: number;
  incrSeq(): void;
  perform(key: string, request: Buffer, seq: number, callback: (error: Error | null, response: MemjsResponse | null) => void): void;
  close(): void;
}

/** A binary-protocol response as memjs parses it. */
export interface MemjsResponse {
  header: { status: number; opcode: number; opaque: number; cas: Buffer };
  extras: Buffer;
  val: Buffer;
}
