/**
 * The dashboard's stylesheet and script, served by the handler itself (`/assets/…`): no
 * external requests, and a Content-Security-Policy of `'self'` holds.
 */
export const APP_CSS = `
:root { --fg: #1d2330; --muted: #5d6677; --line: #dde1e8; --bg: #f6f7f9; --card: #fff; --accent: #2456c9; --bad: #b42318; --ok: #067647; --warn: #9a6700; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: center; padding: 10px 16px; background: #111827; color: #fff; }
header a { color: #dbe4ff; text-decoration: none; }
header a.brand { font-weight: 700; color: #fff; font-size: 16px; }
header nav { display: flex; gap: 12px; }
header .broker { margin-left: auto; color: #9aa4b8; font-size: 12px; }
header .badge { background: #374151; border-radius: 4px; padding: 1px 6px; font-size: 12px; }
main { padding: 16px; max-width: 1200px; margin: 0 auto; }
h1 { font-size: 20px; margin: 0 0 12px; word-break: break-all; }
h2 { font-size: 16px; margin: 20px 0 8px; }
a { color: var(--accent); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 8px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); background: #fafbfc; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:last-child td { border-bottom: 0; }
td.id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; word-break: break-all; }
td.err { color: var(--bad); max-width: 360px; }
.dead { color: var(--bad); font-weight: 600; }
.muted { color: var(--muted); }
.tabs { display: flex; gap: 6px; flex-wrap: wrap; margin: 0 0 12px; }
.tabs a { padding: 6px 12px; border: 1px solid var(--line); border-radius: 999px; text-decoration: none; background: var(--card); }
.tabs a.on { background: var(--accent); color: #fff; border-color: var(--accent); }
.actions { display: flex; gap: 8px; flex-wrap: wrap; margin: 0 0 12px; }
form.inline { display: inline; margin: 0; }
button { font: inherit; padding: 5px 12px; border-radius: 6px; border: 1px solid var(--line); background: var(--card); cursor: pointer; min-height: 32px; }
button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
button.danger { color: var(--bad); border-color: #f3b8b2; }
.notice, .error, .info { padding: 10px 12px; border-radius: 6px; margin: 0 0 12px; }
.notice { background: #ecfdf3; color: var(--ok); border: 1px solid #abefc6; }
.error { background: #fef3f2; color: var(--bad); border: 1px solid #fecdca; }
.info { background: #fffaeb; color: var(--warn); border: 1px solid #fedf89; }
pre { background: #0f172a; color: #e2e8f0; padding: 12px; border-radius: 6px; overflow-x: auto; font-size: 12px; white-space: pre-wrap; word-break: break-word; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; margin: 0 0 12px; }
dt { color: var(--muted); }
dd { margin: 0; word-break: break-all; }
.pager { display: flex; gap: 12px; margin: 12px 0; }
.updated { color: #9aa4b8; font-size: 12px; }
@media (max-width: 640px) {
  main { padding: 10px; }
  header .broker { margin-left: 0; width: 100%; }
  th, td { padding: 6px 8px; }
  .hide-narrow { display: none; }
  td.id { max-width: 110px; font-size: 11px; }
  td.actor { word-break: break-word; }
  td.acts form { display: block; margin: 0 0 4px; }
  td.acts button { padding: 4px 8px; }
  dl { grid-template-columns: 1fr; }
  dt { margin-top: 6px; }
}
`;

/** The tab's icon (the dashboard serves it: the page makes no other request). */
export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#111827"/><text x="16" y="22" font-family="sans-serif" font-size="16" font-weight="700" fill="#fff" text-anchor="middle">q</text></svg>`;

/**
 * Live refresh without reloading: every `data-refresh` ms the page's own URL is fetched as a
 * fragment (just the <main> markup, escaped on the server) and swapped in, unless the tab is
 * hidden or the user is in the middle of a form. Buttons marked `data-confirm` ask first.
 */
export const APP_JS = `
(function () {
  var body = document.body;
  var every = Number(body.getAttribute("data-refresh")) || 0;
  var main = document.getElementById("main");
  var stamp = document.getElementById("updated");
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
  if (!every || !main) return;
  var busy = false;
  function refresh() {
    if (busy || document.hidden) return;
    var active = document.activeElement;
    if (active && active.form) return;
    busy = true;
    fetch(location.href, { headers: { "X-Q-Fragment": "1" }, credentials: "same-origin" })
      // A page that says why it cannot show (a message processed meanwhile: 404; the broker gone: 503) replaces the content too.
      .then(function (r) { return (r.headers.get("content-type") || "").indexOf("text/html") === 0 ? r.text() : Promise.reject(new Error(r.status + " " + r.statusText)); })
      .then(function (markup) {
        main.innerHTML = markup;
        body.setAttribute("data-refreshed", String(Date.now()));
        if (stamp) stamp.textContent = "updated " + new Date().toLocaleTimeString();
      })
      .catch(function (error) { if (stamp) stamp.textContent = "refresh failed: " + error.message; })
      .then(function () { busy = false; });
  }
  setInterval(refresh, every);
})();
`;
