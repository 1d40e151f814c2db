import { html, type Html } from "../html/Html";
import { relativeTime } from "../html/format";
import type { PageContext } from "./PageContext";

/**
 * The broker's worker registry (Redis heartbeats): id, last seen, messages held.
 *
 * @example
 * const main = await workersPage(ctx);
 */
export async function workersPage(ctx: PageContext): Promise<Html> {
  const workers = await ctx.inspector.listWorkers();
  if (workers === undefined) {
    return html`<h1>Workers</h1><p class="info">${ctx.brokerName} keeps no registry of workers, so they cannot be listed here. The queue page shows consumer counts where the broker reports them.</p>`;
  }
  return html`<h1>Workers</h1>
<div class="card"><table>
<thead><tr><th>Worker</th><th>Last seen</th><th class="num">In flight</th><th>State</th></tr></thead>
<tbody>${
    workers.length
      ? workers.map(
          (w) => html`<tr data-worker="${w.id}"><td class="id">${w.id}</td><td title="${new Date(w.lastSeen).toISOString()}">${relativeTime(w.lastSeen)}</td><td class="num">${w.inFlight}</td><td>${w.stale ? html`<span class="dead">stale: its messages may be taken back</span>` : "alive"}</td></tr>`,
        )
      : html`<tr><td colspan="4" class="muted">No worker has sent a heartbeat.</td></tr>`
  }</tbody>
</table></div>`;
}
