/**
 * A running exposition server: `GET` on any path answers the metrics in Prometheus'
 * text format.
 *
 * @example
 * const server = await prometheus.serve({ port: 0 });
 * console.log(server.port);
 * await server.close();
 */
export interface MetricsServer {
  /** The address it listens on. */
  readonly host: string;
  /** The port it listens on (the real one when asked for port 0). */
  readonly port: number;
  /** Stops listening; resolves once open connections are closed. */
  close(): Promise<void>;
}
