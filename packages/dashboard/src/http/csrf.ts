import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** The cookie holding this browser's CSRF token (double submit: every form carries it too). */
export const CSRF_COOKIE = "q_dashboard_csrf";

/**
 * This browser's CSRF token from its cookie, or a new one to set.
 *
 * @example
 * const { token, fresh } = csrfToken(req);
 */
export function csrfToken(req: IncomingMessage): { token: string; fresh: boolean } {
  const existing = cookie(req, CSRF_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return { token: existing, fresh: false };
  return { token: randomBytes(32).toString("base64url"), fresh: true };
}

/**
 * Whether a POST may act: the form's token equals the cookie's (a page on another site can
 * send neither: the cookie is SameSite=Strict and unreadable to it), and an `Origin` header,
 * when the browser sends one, names this host.
 *
 * @example
 * if (!csrfAllows(req, form.csrf)) return refuse(403);
 */
export function csrfAllows(req: IncomingMessage, formToken: string | undefined): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== "null") {
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return false;
    }
    if (host !== req.headers.host) return false;
  } else if (origin === "null") {
    return false;
  }
  const expected = cookie(req, CSRF_COOKIE);
  if (!expected || !formToken) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(formToken);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
