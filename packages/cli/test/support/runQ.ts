import path from "node:path";
import { REDIS_URL } from "@q/test-support/redis";
import { type QRun, spawnQ } from "@q/test-support/q-process";

export { type QRun, killAllQ, READY, waitReady } from "@q/test-support/q-process";

/** The built binary: the tests run exactly what users run. */
export const BIN = path.resolve(__dirname, "../../dist/bin.js");
export const FIXTURES = path.resolve(__dirname, "../fixtures");

/**
 * Spawns `node dist/bin.js ...args` in `cwd` (default: the fixtures), with the test
 * server and `env` in its environment.
 */
export function runQ(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): QRun {
  return spawnQ(BIN, args, { cwd: options.cwd ?? FIXTURES, env: { REDIS_URL, LOG_LEVEL: "info", ...options.env } });
}
