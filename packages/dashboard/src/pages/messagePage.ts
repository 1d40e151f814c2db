import { html, type Html } from "../html/Html";
import { actionButton, queuePath } from "../html/layout";
import type { PageContext } from "./PageContext";

/**
 * One message in full: where it is, its times, arguments, options and last error, and the
 * actions allowed on it. Undefined when it is not in the queue (any more).
 *
 * @example
 * const main = await messagePage(ctx, "emails", id);
 */
export async function messagePage(ctx: PageContext, name: string, messageId: string): Promise<Html | undefined> {
  const m = await ctx.inspector.getMessage(name, messageId);
  if (!m) return undefined;
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  const where = m.part === "queue" ? (m.inFlight ? "on the queue, held by a worker" : "waiting on the queue") : m.part === "delayed" ? "on the delay queue" : "a dead letter";
  const options = m.message ? { ...m.message.options } : undefined;
  if (options) delete options.traceback;
  const field = (label: string, value: string | number | undefined) => (value === undefined ? "" : html`<dt>${label}</dt><dd>${value}</dd>`);
  const actions = html`${m.part === "dead" && m.message ? actionButton(ctx, `${queuePath(name)}/requeue`, "Requeue", { id: m.messageId }, "primary") : ""}${
    ctx.inspector.capabilities.deletable.includes(m.part) && !m.inFlight ? actionButton(ctx, `${queuePath(name)}/delete`, "Delete", { part: m.part, id: m.messageId }, "danger", "Delete this message for good?") : ""
  }`;
  return html`<h1>${m.message?.actorName ?? "Undecodable message"}</h1>
<div class="actions">${actions}</div>
<dl>
${field("Message id", m.messageId)}
<dt>Queue</dt><dd><a href="${ctx.prefix}${queuePath(name)}?part=${m.part}">${m.queueName}</a> (${where})</dd>
${field("Enqueued", iso(m.enqueuedAt))}
${field("ETA", iso(m.eta))}
${field("Dead since", iso(m.deadAt))}
${field("Retries", m.retries)}
</dl>
${m.message ? html`<h2>Arguments</h2><pre>${JSON.stringify(m.message.args, null, 2)}</pre><h2>Keyword arguments</h2><pre>${JSON.stringify(m.message.kwargs, null, 2)}</pre><h2>Options</h2><pre>${JSON.stringify(options, null, 2)}</pre>` : html`<p class="error">${m.decodeError}</p><h2>Bytes (base64)</h2><pre>${m.data.toString("base64")}</pre>`}
${m.lastError ? html`<h2>Last error</h2><pre>${m.lastError}</pre>` : ""}`;
}
