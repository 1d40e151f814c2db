import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type Broker,
  ConfigurationError,
  ConnectionError,
  InspectionUnsupported,
  type Logger,
  MessageNotFound,
  QUEUE_PARTS,
  type QueueInspector,
  type QueuePart,
  defaultLogger,
  inspectorOf,
  isQError,
} from "@q/core";
import { QUEUE_NAME_PATTERN } from "@q/core/broker";
import { APP_CSS, APP_JS, ICON_SVG } from "./assets";
import { html, type Html } from "./html/Html";
import { layout, mainOnly } from "./html/layout";
import { type BasicAuth, basicAuthAllows } from "./http/basicAuthAllows";
import { CSRF_COOKIE, csrfAllows, csrfToken } from "./http/csrf";
import { readForm } from "./http/readForm";
import { messagePage } from "./pages/messagePage";
import type { PageContext } from "./pages/PageContext";
import { queuePage } from "./pages/queuePage";
import { queuesPage } from "./pages/queuesPage";
import { workersPage } from "./pages/workersPage";

/**
 * Options of {@link createDashboard}.
 *
 * @example
 * createDashboard({ broker, prefix: "/q", readOnly: true, basicAuth: { username: "ops", password: process.env.DASH_PASSWORD! } });
 */
export interface DashboardOptions {
  /** The broker whose queues it shows (its `inspect()`); or give `inspector`. */
  broker?: Broker;
  /** An inspector to use instead of `broker.inspect()`. */
  inspector?: QueueInspector;
  /** The path it is mounted under, e.g. "/q" (default "/"). Links and the cookie use it. */
  prefix?: string;
  /** Show only: no buttons, and every action is refused with 403. Default false. */
  readOnly?: boolean;
  /** Ask for these credentials (HTTP basic auth) on every request. Use it behind HTTPS. */
  basicAuth?: BasicAuth;
  /** Queues to list even when nothing declares them here and the server has none yet. */
  include?: readonly string[];
  /** Milliseconds between live refreshes of an open page; 0 turns them off. Default 2000. */
  refreshMs?: number;
  /** Where failures of the inspector are logged; default @q's default logger. */
  logger?: Logger;
}

/**
 * A request handler, as `node:http` and Express call it. Requests outside the prefix go to
 * `next` when given (Express), else get a 404.
 */
export type DashboardHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "same-origin",
  "Cache-Control": "no-store",
};

/**
 * The @q dashboard as a request handler you mount in your own server: every queue with its
 * counts, the workers, the messages of each queue, delay queue and dead letters, one message
 * in full, and requeue, delete and purge (with CSRF protection; off in read-only mode). It
 * works on any broker with an inspector (Redis, RabbitMQ, the stub), shows Python Dramatiq's
 * queues too, serves its own script and styles, and makes no external request.
 *
 * @example
 * import http from "node:http";
 * const dashboard = createDashboard({ broker, prefix: "/q" });
 * http.createServer(dashboard).listen(8080); // http://127.0.0.1:8080/q/
 * // Express:  app.use("/q", createDashboard({ broker, prefix: "/q" }));
 * // Fastify:  app.addHook("onRequest", (req, reply, done) => req.url.startsWith("/q") ? (reply.hijack(), dashboard(req.raw, reply.raw)) : done());
 */
export function createDashboard(options: DashboardOptions): DashboardHandler {
  const prefix = checkPrefix(options.prefix ?? "/");
  const refreshMs = options.refreshMs ?? 2000;
  if (!Number.isInteger(refreshMs) || refreshMs < 0) throw new ConfigurationError(`createDashboard: refreshMs must be a whole number of milliseconds >= 0, got ${String(refreshMs)}.`);
  if (options.basicAuth && !(typeof options.basicAuth.username === "string" && typeof options.basicAuth.password === "string" && options.basicAuth.password.length > 0)) {
    throw new ConfigurationError("createDashboard: basicAuth needs a username and a non-empty password.");
  }
  const include = [...(options.include ?? [])];
  for (const name of include) checkQueueName(name, "include");
  let inspector = options.inspector;
  if (!inspector) {
    if (!options.broker) throw new ConfigurationError("createDashboard: give the broker (or an inspector) whose queues to show.");
    inspector = inspectorOf(options.broker);
  }
  const brokerName = options.broker?.constructor.name ?? "broker";
  const readOnly = options.readOnly ?? false;
  const logger = options.logger ?? defaultLogger();
  const realm = (options.basicAuth?.realm ?? "q dashboard").replace(/"/g, "'");

  return (req, res, next) => {
    const url = new URL(req.url ?? "/", "http://dashboard.invalid");
    const path = relativePath(url.pathname, prefix, req);
    if (path === undefined) {
      if (next) return next();
      return send(res, 404, "text/plain; charset=utf-8", "Not found");
    }
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    if (options.basicAuth && !basicAuthAllows(req, options.basicAuth)) {
      res.setHeader("WWW-Authenticate", `Basic realm="${realm}", charset="UTF-8"`);
      return send(res, 401, "text/plain; charset=utf-8", "This dashboard needs a username and password.");
    }
    if (path === "/assets/app.css") return send(res, 200, "text/css; charset=utf-8", APP_CSS);
    if (path === "/assets/app.js") return send(res, 200, "text/javascript; charset=utf-8", APP_JS);
    if (path === "/assets/icon.svg") return send(res, 200, "image/svg+xml", ICON_SVG);

    const { token, fresh } = csrfToken(req);
    if (fresh) {
      const secure = (req.socket as { encrypted?: boolean }).encrypted ? "; Secure" : "";
      res.setHeader("Set-Cookie", `${CSRF_COOKIE}=${token}; Path=${prefix || "/"}; HttpOnly; SameSite=Strict${secure}`);
    }
    const ctx: PageContext = {
      prefix,
      inspector: inspector!,
      brokerName,
      readOnly,
      csrf: token,
      include,
      notice: url.searchParams.get("notice") ?? undefined,
      error: url.searchParams.get("error") ?? undefined,
    };
    const fragment = req.headers["x-q-fragment"] === "1";
    const page = (status: number, title: string, main: Html) =>
      send(res, status, "text/html; charset=utf-8", (fragment ? mainOnly(ctx, main) : layout(ctx, title, main, refreshMs)).text);

    route(req, res, url, path, ctx, page).catch((error: unknown) => {
      if (res.headersSent) return res.destroy(error as Error);
      if (error instanceof ConnectionError || isQError(error, "Q_CONNECTION_FAILED") || isQError(error, "Q_CONNECTION_CLOSED")) {
        page(503, "Broker unreachable", html`<h1>Broker unreachable</h1><p class="error">${(error as Error).message}</p>`);
        return;
      }
      if (isQError(error, "Q_ARGUMENT_ERROR")) {
        page(400, "Bad request", html`<h1>Bad request</h1><p class="error">${(error as Error).message}</p>`);
        return;
      }
      logger.error({ err: error }, `Dashboard request ${req.method} ${req.url} failed: ${(error as Error)?.message ?? String(error)}`);
      page(500, "Error", html`<h1>Something went wrong</h1><p class="error">The dashboard could not read the broker; the error is in the server's log.</p>`);
    });
  };
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  path: string,
  ctx: PageContext,
  page: (status: number, title: string, main: Html) => void,
): Promise<void> {
  const notFound = (what: string) => page(404, "Not found", html`<h1>Not found</h1><p class="error">${what}</p><p><a href="${ctx.prefix}/">All queues</a></p>`);
  const parts = path.split("/").filter(Boolean).map(safeDecode);
  if (parts.some((p) => p === undefined)) return notFound("That address is not valid.");
  const [first, name, third, id] = parts as string[];

  if (req.method === "POST") {
    if (first !== "queues" || !name || !isQueueName(name) || parts.length !== 3) return notFound(`No action at ${path}.`);
    return act(req, res, ctx, name, third!);
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("Allow", "GET, HEAD, POST");
    return send(res, 405, "text/plain; charset=utf-8", "Method not allowed");
  }
  if (parts.length === 0) return page(200, "Queues", await queuesPage(ctx));
  if (first === "workers" && parts.length === 1) return page(200, "Workers", await workersPage(ctx));
  if (first === "queues" && name && isQueueName(name)) {
    if (parts.length === 2) {
      const part = (url.searchParams.get("part") ?? (ctx.inspector.capabilities.listable.includes("queue") ? "queue" : "dead")) as QueuePart;
      if (!QUEUE_PARTS.includes(part)) return notFound(`There is no part ${part}; use queue, delayed or dead.`);
      return page(200, `${name} · ${part}`, await queuePage(ctx, name, part, url.searchParams.get("cursor") ?? undefined));
    }
    if (third === "messages" && id !== undefined && parts.length === 4) {
      const main = await messagePage(ctx, name, id);
      if (!main) return notFound(`Message ${id} is not in ${name} (any more): it was processed, requeued or deleted, or this broker cannot show where it is.`);
      return page(200, `${name} · ${id}`, main);
    }
  }
  return notFound(`There is no page at ${path}.`);
}

/** A POST action: checked (read-only, CSRF), done, then back to the page it came from with its result. */
async function act(req: IncomingMessage, res: ServerResponse, ctx: PageContext, name: string, action: string): Promise<void> {
  const json = (req.headers.accept ?? "").includes("application/json");
  const reply = (status: number, result: { notice?: string; error?: string }, back: string) => {
    if (json) return send(res, status, "application/json; charset=utf-8", JSON.stringify({ ok: status < 300, ...result }));
    const target = new URL(back, "http://dashboard.invalid");
    if (result.notice) target.searchParams.set("notice", result.notice);
    if (result.error) target.searchParams.set("error", result.error);
    res.setHeader("Location", `${target.pathname}${target.search}`);
    send(res, 303, "text/plain; charset=utf-8", "See other");
  };
  if (ctx.readOnly) return send(res, 403, "text/plain; charset=utf-8", "This dashboard is read-only: actions are turned off.");
  const form = await readForm(req);
  if (form === undefined) return send(res, 413, "text/plain; charset=utf-8", "The form is too large.");
  if (!csrfAllows(req, form.csrf)) {
    return send(res, 403, "text/plain; charset=utf-8", "Refused: the form did not come from this dashboard (CSRF check failed). Reload the page and try again.");
  }
  const queuePage = `${ctx.prefix}/queues/${encodeURIComponent(name)}`;
  const part = (form.part ?? "dead") as QueuePart;
  if (!QUEUE_PARTS.includes(part)) return reply(400, { error: `There is no part ${part}.` }, `${queuePage}?part=dead`);
  const back = `${queuePage}?part=${part}`;
  try {
    switch (action) {
      case "requeue": {
        if (!form.id) return reply(400, { error: "Which message? The form had no id." }, back);
        await ctx.inspector.requeue(name, form.id);
        return reply(200, { notice: `Requeued ${form.id}: a worker will run it again.` }, back);
      }
      case "requeue-all": {
        const n = await ctx.inspector.requeueAll(name);
        return reply(200, { notice: `Requeued ${n} dead letter(s) of ${name}.` }, back);
      }
      case "delete": {
        if (!form.id) return reply(400, { error: "Which message? The form had no id." }, back);
        await ctx.inspector.deleteMessage(name, part, form.id);
        return reply(200, { notice: `Deleted ${form.id}.` }, back);
      }
      case "purge": {
        const n = await ctx.inspector.purge(name, part);
        return reply(200, { notice: `Deleted ${n} message(s) from ${name} (${part}).` }, back);
      }
      default:
        return send(res, 404, "text/plain; charset=utf-8", `No action ${action}.`);
    }
  } catch (error) {
    if (error instanceof MessageNotFound || isQError(error, "Q_MESSAGE_NOT_FOUND")) return reply(409, { error: (error as Error).message }, back);
    if (error instanceof InspectionUnsupported || isQError(error, "Q_INSPECTION_UNSUPPORTED")) return reply(409, { error: (error as Error).message }, back);
    throw error;
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.statusCode = status;
  res.setHeader("Content-Type", type);
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(res.req?.method === "HEAD" ? undefined : body);
}

/**
 * The path below the mount point: below `prefix` in a full URL (node:http, Fastify), or the
 * URL as it is where a framework already stripped the mount path (Express's `app.use`).
 */
function relativePath(pathname: string, prefix: string, req: IncomingMessage): string | undefined {
  if (prefix === "") return pathname;
  if (pathname === prefix || pathname.startsWith(`${prefix}/`)) return pathname.slice(prefix.length) || "/";
  const original = (req as { originalUrl?: string }).originalUrl;
  if (original !== undefined && original !== req.url && new URL(original, "http://dashboard.invalid").pathname.startsWith(prefix)) return pathname;
  return undefined;
}

function checkPrefix(prefix: string): string {
  if (typeof prefix !== "string" || !prefix.startsWith("/") || /[?#\s"'<>]/.test(prefix)) {
    throw new ConfigurationError(`createDashboard: prefix must be a path such as "/q", got ${JSON.stringify(prefix)}.`);
  }
  return prefix.replace(/\/+$/, "");
}

function isQueueName(name: string): boolean {
  return QUEUE_NAME_PATTERN.test(name) && !name.endsWith(".DQ") && !name.endsWith(".XQ");
}

function checkQueueName(name: string, option: string): void {
  if (!isQueueName(name)) throw new ConfigurationError(`createDashboard: ${option} has ${JSON.stringify(name)}, which is not a queue name.`);
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
