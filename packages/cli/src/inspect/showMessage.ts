import type { InspectedMessage } from "@q/core";

/**
 * An inspected message as `--json` prints it: where it is, the decoded wire fields, and
 * the bytes (base64) only when they do not decode.
 *
 * @example
 * JSON.stringify(messageJson(found));
 */
export function messageJson(m: InspectedMessage): Record<string, unknown> {
  return {
    messageId: m.messageId,
    queueName: m.queueName,
    part: m.part,
    inFlight: m.inFlight,
    retries: m.retries,
    enqueuedAt: iso(m.enqueuedAt),
    eta: iso(m.eta),
    deadAt: iso(m.deadAt),
    lastError: m.lastError,
    message: m.message?.toDict(),
    decodeError: m.decodeError,
    data: m.message ? undefined : m.data.toString("base64"),
  };
}

/**
 * An inspected message as `q message show` prints it: one `field: value` line each, then
 * the arguments, options and last error in full.
 *
 * @example
 * process.stdout.write(messageText(found));
 */
export function messageText(m: InspectedMessage): string {
  const lines = [
    `message id:  ${m.messageId}`,
    `queue:       ${m.queueName} (${m.part === "queue" ? (m.inFlight ? "in flight: a worker holds it" : "waiting") : m.part === "delayed" ? "delayed" : "dead letter"})`,
  ];
  if (m.message) {
    lines.push(`actor:       ${m.message.actorName}`);
    lines.push(`enqueued:    ${iso(m.enqueuedAt)}`);
  }
  if (m.eta !== undefined) lines.push(`eta:         ${iso(m.eta)}`);
  if (m.deadAt !== undefined) lines.push(`died:        ${iso(m.deadAt)}`);
  lines.push(`retries:     ${m.retries}`);
  if (m.message) {
    lines.push(`args:        ${JSON.stringify(m.message.args)}`);
    lines.push(`kwargs:      ${JSON.stringify(m.message.kwargs)}`);
    const options = { ...m.message.options };
    delete options.traceback;
    lines.push(`options:     ${JSON.stringify(options)}`);
  } else {
    lines.push(`undecodable: ${m.decodeError}`);
    lines.push(`bytes:       ${m.data.toString("base64")} (base64)`);
  }
  if (m.lastError) lines.push("last error:", ...m.lastError.trimEnd().split("\n").map((l) => `  ${l}`));
  return `${lines.join("\n")}\n`;
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
