import { type InspectedMessage, QUEUE_PARTS, type QueuePart } from "@q/core";
import { html, type Html } from "../html/Html";
import { errorSummary, relativeTime, shortJson } from "../html/format";
import { actionButton, queuePath } from "../html/layout";
import { notes } from "./queuesPage";
import type { PageContext } from "./PageContext";

const PART_LABEL: Record<QueuePart, string> = { queue: "Queue", delayed: "Delayed", dead: "Dead letters" };

/**
 * One part of a queue, a page at a time: the messages with their actor, arguments, retries,
 * times and last error, and the actions the broker allows.
 *
 * @example
 * const main = await queuePage(ctx, "emails", "dead", undefined);
 */
export async function queuePage(ctx: PageContext, name: string, part: QueuePart, cursor: string | undefined): Promise<Html> {
  const [summary] = (await ctx.inspector.listQueues({ include: [name] })).filter((q) => q.name === name);
  const counts: Record<QueuePart, number | undefined> = { queue: summary?.pending, delayed: summary?.delayed, dead: summary?.deadLetters };
  const caps = ctx.inspector.capabilities;
  const base = `${ctx.prefix}${queuePath(name)}`;
  const tabs = html`<nav class="tabs">${QUEUE_PARTS.map(
    (p) => html`<a href="${base}?part=${p}" class="${p === part ? "on" : ""}" data-part="${p}">${PART_LABEL[p]} <span data-count="${p}">${counts[p] ?? 0}</span></a>`,
  )}</nav>`;
  const head = html`<h1>${name}</h1>${tabs}`;
  if (!caps.listable.includes(part)) {
    return html`${head}<p class="info">${ctx.brokerName} cannot list this part without taking the messages from the workers, so only its count is shown.</p>${notes(ctx)}`;
  }
  const page = await ctx.inspector.listMessages(name, part, { limit: 50, cursor });
  const deletable = caps.deletable.includes(part);
  const bulk =
    part === "dead" && page.messages.length > 0
      ? html`<div class="actions">${actionButton(ctx, `${queuePath(name)}/requeue-all`, "Requeue all", {}, "primary", `Requeue every dead letter of ${name}?`)}${actionButton(ctx, `${queuePath(name)}/purge`, "Purge dead letters", { part: "dead" }, "danger", `Delete every dead letter of ${name} for good?`)}</div>`
      : "";
  const row = (m: InspectedMessage) => html`<tr data-message="${m.messageId}">
<td class="id"><a href="${base}/messages/${encodeURIComponent(m.messageId)}">${m.messageId}</a>${m.inFlight ? html` <span class="muted">(in flight)</span>` : ""}</td>
<td class="actor">${m.message?.actorName ?? html`<span class="dead">undecodable</span>`}</td>
<td class="hide-narrow">${m.message ? shortJson(m.message.args, 60) : ""}</td>
<td class="num hide-narrow">${m.retries}</td>
<td class="hide-narrow">${when(part === "dead" ? m.deadAt : part === "delayed" ? m.eta : m.enqueuedAt)}</td>
<td class="err hide-narrow">${m.decodeError ?? (m.lastError ? errorSummary(m.lastError) : "")}</td>
<td class="acts">${part === "dead" && m.message ? actionButton(ctx, `${queuePath(name)}/requeue`, "Requeue", { id: m.messageId }, "primary") : ""}${deletable && !m.inFlight ? actionButton(ctx, `${queuePath(name)}/delete`, "Delete", { part, id: m.messageId }, "danger", "Delete this message for good?") : ""}</td>
</tr>`;
  const timeHead = part === "dead" ? "Died" : part === "delayed" ? "Due" : "Enqueued";
  return html`${head}${bulk}
<div class="card"><table>
<thead><tr><th>Message</th><th>Actor</th><th class="hide-narrow">Args</th><th class="num hide-narrow">Retries</th><th class="hide-narrow">${timeHead}</th><th class="hide-narrow">Last error</th><th></th></tr></thead>
<tbody>${page.messages.length ? page.messages.map(row) : html`<tr><td colspan="7" class="muted">Nothing here.</td></tr>`}</tbody>
</table></div>
<div class="pager">${cursor ? html`<a href="${base}?part=${part}">First page</a>` : ""}${page.next ? html`<a href="${base}?part=${part}&amp;cursor=${page.next}" rel="next">Next page</a>` : ""}</div>`;
}

function when(ms: number | undefined): Html | string {
  return ms === undefined ? "" : html`<span title="${new Date(ms).toISOString()}">${relativeTime(ms)}</span>`;
}
