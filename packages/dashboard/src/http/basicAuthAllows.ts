import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** The credentials of the optional basic auth. */
export interface BasicAuth {
  username: string;
  password: string;
  /** Shown by the browser's login prompt; default "q dashboard". */
  realm?: string;
}

/**
 * Whether the request carries these basic-auth credentials (compared in constant time).
 *
 * @example
 * if (!basicAuthAllows(req, { username: "ops", password: "s3cret" })) return challenge();
 */
export function basicAuthAllows(req: IncomingMessage, auth: BasicAuth): boolean {
  const header = req.headers.authorization ?? "";
  const m = /^Basic +([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!m) return false;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return false;
  // Hashing first makes both sides the same length, so the comparison leaks no length either.
  const same = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));
  const user = same(decoded.slice(0, colon), auth.username);
  const pass = same(decoded.slice(colon + 1), auth.password);
  return user && pass;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
