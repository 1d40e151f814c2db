import { ConfigurationError } from "@q/core";

/** Where the exposition server listens. */
export interface ExpositionSettings {
  host: string;
  port: number;
}

/**
 * Host and port: the options given, else Dramatiq's `dramatiq_prom_host` /
 * `dramatiq_prom_port` environment variables, else 0.0.0.0:9191. Internal.
 */
export function expositionSettings(options: { host?: string; port?: number }, env: NodeJS.ProcessEnv = process.env): ExpositionSettings {
  const host = options.host ?? env.dramatiq_prom_host ?? "0.0.0.0";
  if (typeof host !== "string" || host === "") throw new ConfigurationError(`Prometheus: host must be a non-empty string, got ${JSON.stringify(host)}.`);
  const raw = options.port ?? env.dramatiq_prom_port ?? 9191;
  const port = typeof raw === "number" ? raw : /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    const source = options.port !== undefined ? "port" : "dramatiq_prom_port";
    throw new ConfigurationError(`Prometheus: ${source} must be an integer from 0 to 65535, got ${JSON.stringify(raw)}.`);
  }
  return { host, port };
}
