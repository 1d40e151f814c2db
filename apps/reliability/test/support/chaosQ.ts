import path from "node:path";
import { type QRun, spawnQ } from "@q/test-support/q-process";

/** The built `q` binary (what users run). */
export const Q_BIN = path.resolve(require.resolve("@q/cli/package.json"), "../dist/bin.js");
export const FIXTURES = path.resolve(__dirname, "../fixtures");

export interface ChaosQOptions {
  readonly broker: "redis" | "rabbitmq";
  /** The broker under test (a dedicated server of the suite's own). */
  readonly url: string;
  /** Redis key namespace (ignored on RabbitMQ). */
  readonly namespace?: string;
  readonly queue: string;
  readonly processes?: number;
  readonly threads?: number;
  /** The ledger's environment and any CHAOS_* setting of the fixtures. */
  readonly env?: NodeJS.ProcessEnv;
  /** The fixture modules q imports after broker.cjs (default: actors.cjs). */
  readonly modules?: readonly string[];
  /** More q arguments. */
  readonly args?: readonly string[];
  /** Its own process group, so the whole supervisor group can be SIGKILLed at once. */
  readonly detached?: boolean;
}

/**
 * Runs `q broker.cjs <modules: actors.cjs> -p N -t N -Q queue` on the fixtures against the
 * broker under test.
 *
 * @example
 * const q = startQ({ broker: "redis", url: server.url(), namespace, queue, env: ledger.env });
 * await waitReady(q, 2);
 */
export function startQ(options: ChaosQOptions): QRun {
  const args = ["broker.cjs", ...(options.modules ?? ["actors.cjs"]), "-p", String(options.processes ?? 2), "-t", String(options.threads ?? 8), "-Q", options.queue, ...(options.args ?? [])];
  return spawnQ(Q_BIN, args, {
    cwd: FIXTURES,
    detached: options.detached,
    env: {
      LOG_LEVEL: "info",
      CHAOS_BROKER: options.broker,
      CHAOS_URL: options.url,
      CHAOS_NAMESPACE: options.namespace,
      CHAOS_QUEUE: options.queue,
      ...options.env,
    },
  });
}

/**
 * SIGKILLs a q started with `detached: true` together with its worker processes (its whole
 * process group) and waits for it to be gone.
 *
 * @example
 * await killGroup(q);
 */
export async function killGroup(q: QRun): Promise<void> {
  try {
    process.kill(-q.pid, "SIGKILL");
  } catch {
    // already gone
  }
  await q.exited;
}
