import type { QueueSummary } from "@q/core";
import { html, type Html } from "../html/Html";
import { queuePath } from "../html/layout";
import type { PageContext } from "./PageContext";

/**
 * Every queue with its counts; a count the broker cannot tell is left out as a column.
 *
 * @example
 * const main = await queuesPage(ctx);
 */
export async function queuesPage(ctx: PageContext): Promise<Html> {
  const queues = await ctx.inspector.listQueues({ include: ctx.include });
  const inFlight = queues.some((q) => q.inFlight !== undefined);
  const consumers = queues.some((q) => q.consumers !== undefined);
  const caps = ctx.inspector.capabilities;
  const firstPart = caps.listable.includes("queue") ? "" : "?part=dead";
  const row = (q: QueueSummary) => html`<tr data-queue="${q.name}">
<td><a href="${ctx.prefix}${queuePath(q.name)}${firstPart}">${q.name}</a>${q.declared ? "" : html` <span class="muted" title="found on the server, not declared by this process">(server)</span>`}</td>
<td class="num" data-count="pending">${q.pending}</td>
${inFlight ? html`<td class="num" data-count="inFlight">${q.inFlight ?? "–"}</td>` : ""}
<td class="num" data-count="delayed">${q.delayed}</td>
<td class="num${q.deadLetters > 0 ? " dead" : ""}" data-count="deadLetters"><a href="${ctx.prefix}${queuePath(q.name)}?part=dead">${q.deadLetters}</a></td>
${consumers ? html`<td class="num" data-count="consumers">${q.consumers ?? "–"}</td>` : ""}
</tr>`;
  return html`<h1>Queues</h1>
<div class="card"><table>
<thead><tr><th>Queue</th><th class="num">Pending</th>${inFlight ? html`<th class="num">In flight</th>` : ""}<th class="num">Delayed</th><th class="num">Dead letters</th>${consumers ? html`<th class="num">Consumers</th>` : ""}</tr></thead>
<tbody>${queues.length ? queues.map(row) : html`<tr><td colspan="6" class="muted">No queues yet: none is declared here and the server has none.</td></tr>`}</tbody>
</table></div>
${notes(ctx)}`;
}

/** What the broker can and cannot show, in its own words. */
export function notes(ctx: PageContext): Html {
  const list = ctx.inspector.capabilities.notes;
  return list.length ? html`<details><summary class="muted">About these numbers (${ctx.brokerName})</summary><ul>${list.map((n) => html`<li>${n}</li>`)}</ul></details>` : html``;
}
