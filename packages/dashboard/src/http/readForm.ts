import type { IncomingMessage } from "node:http";

/** The most bytes of a form body read: the dashboard's forms carry an id and a token. */
const MAX_BODY = 16 * 1024;

/**
 * The fields of a urlencoded POST body. Reads the request itself, or takes what a framework's
 * body parser already put on `req.body` (Express with `express.urlencoded()`). A body over
 * 16 KiB is refused (undefined) without reading the rest.
 *
 * @example
 * const form = await readForm(req); // { csrf: "…", id: "…" }
 */
export async function readForm(req: IncomingMessage): Promise<Record<string, string> | undefined> {
  const parsed = (req as { body?: unknown }).body;
  if (parsed !== undefined && parsed !== null && typeof parsed === "object" && !Buffer.isBuffer(parsed)) {
    return Object.fromEntries(Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  }
  if (req.readableEnded) return {};
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
}
