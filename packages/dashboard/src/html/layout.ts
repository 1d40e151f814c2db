import { Html, html } from "./Html";
import type { PageContext } from "../pages/PageContext";

/**
 * A whole page: header with navigation, the notice of the last action, and `main`. The live
 * refresh replaces only `<main>`, so a fragment request gets {@link mainOnly} instead.
 *
 * @example
 * send(res, 200, layout(ctx, "Queues", body, 2000));
 */
export function layout(ctx: PageContext, title: string, main: Html, refreshMs: number): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · @q dashboard</title>
<link rel="icon" href="${ctx.prefix}/assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${ctx.prefix}/assets/app.css">
<script src="${ctx.prefix}/assets/app.js" defer></script>
</head>
<body data-refresh="${refreshMs}">
<header>
<a class="brand" href="${ctx.prefix}/">@q</a>
<nav><a href="${ctx.prefix}/">Queues</a><a href="${ctx.prefix}/workers">Workers</a></nav>
<span class="broker">${ctx.brokerName}${ctx.readOnly ? html` <span class="badge">read-only</span>` : ""} <span id="updated" class="updated"></span></span>
</header>
<main id="main">${mainOnly(ctx, main)}</main>
</body>
</html>
`;
}

/** The content of `<main>`: the action's notice or error, then the page. */
export function mainOnly(ctx: PageContext, main: Html): Html {
  return html`${ctx.notice ? html`<p class="notice" role="status">${ctx.notice}</p>` : ""}${ctx.error ? html`<p class="error" role="alert">${ctx.error}</p>` : ""}${main}`;
}

/**
 * A POST form of one button, with the CSRF token; nothing in read-only mode.
 *
 * @example
 * actionButton(ctx, `/queues/emails/requeue`, "Requeue", { id }, "primary")
 */
export function actionButton(ctx: PageContext, path: string, label: string, fields: Record<string, string>, kind: "primary" | "danger" | "" = "", confirm?: string): Html {
  if (ctx.readOnly) return html``;
  const inputs = Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`);
  return html`<form class="inline" method="post" action="${ctx.prefix}${path}"${confirm ? html` data-confirm="${confirm}"` : ""}><input type="hidden" name="csrf" value="${ctx.csrf}">${inputs}<button type="submit" class="${kind}">${label}</button></form>`;
}

/** A queue name as it goes into a path. */
export function queuePath(name: string): string {
  return `/queues/${encodeURIComponent(name)}`;
}

export { Html };
