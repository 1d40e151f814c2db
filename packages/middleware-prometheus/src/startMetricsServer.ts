import http from "node:http";
import type { AddressInfo } from "node:net";
import { ConfigurationError, type Logger } from "@q/core";
import { Registry } from "prom-client";
import type { ExpositionSettings } from "./expositionSettings";
import type { MetricsServer } from "./MetricsServer";

/**
 * Listens on `settings` and answers every GET with `render()` (content type
 * `text/plain; version=0.0.4; charset=utf-8`, like Dramatiq's server); a render that
 * fails answers 500. Internal.
 */
export async function startMetricsServer(settings: ExpositionSettings, render: () => Promise<string>, logger: Logger): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method !== "GET") {
      res.writeHead(405, { allow: "GET" }).end();
      return;
    }
    render().then(
      (body) => res.writeHead(200, { "content-type": Registry.PROMETHEUS_CONTENT_TYPE }).end(body),
      (err: unknown) => {
        logger.error({ err }, "Failed to render the metrics.");
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end("Failed to render the metrics.\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (cause: NodeJS.ErrnoException) =>
      reject(new ConfigurationError(`Prometheus: cannot listen on ${settings.host}:${settings.port} (${cause.code ?? cause.message}).`, { cause })),
    );
    server.listen(settings.port, settings.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  logger.info(`Serving Prometheus metrics on http://${settings.host}:${port}/.`);
  return {
    host: settings.host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
