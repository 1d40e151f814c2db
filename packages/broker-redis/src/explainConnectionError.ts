/**
 * Internal: a connection error's message with what to do about it, for the errors users
 * hit when they first point a broker at a secured Redis: refused credentials and a TLS
 * certificate Node does not trust. Never holds the URL (nor its password).
 *
 * @example
 * explainConnectionError(new Error("self-signed certificate in certificate chain"))
 * // "self-signed certificate in certificate chain (TLS: trust the server's CA with NODE_EXTRA_CA_CERTS=ca.pem or redisOptions.tls.ca)"
 */
export function explainConnectionError(error: Error): string {
  const message = error.message.replace(/\.+$/, "");
  // ioredis's Sentinel connector sums up a round of asking every sentinel in one message.
  const sentinels = /^All sentinels are unreachable\..*?(?: Last error: (.*))?$/.exec(message);
  if (sentinels) {
    const last = sentinels[1];
    if (last && /No such master/i.test(last)) return `No sentinel knows that master group (${last}): check sentinel.name against "sentinel monitor <name>" in sentinel.conf`;
    return `No sentinel named a primary${last ? ` (last error: ${last})` : ""}: check sentinel.sentinels (hosts and ports) and sentinelPassword`;
  }
  if (/^(WRONGPASS|NOAUTH)/.test(message)) return `Redis refused the credentials: ${message} (check the user name and password in the URL)`;
  const code = (error as { code?: unknown }).code;
  const tls = typeof code === "string" && /CERT|SELF_SIGNED|UNABLE_TO|HOSTNAME|ERR_TLS|ERR_SSL/.test(code);
  if (tls || /certificate/i.test(message)) {
    return `${message} (TLS: trust the server's CA with NODE_EXTRA_CA_CERTS=ca.pem or redisOptions.tls.ca)`;
  }
  return message;
}
