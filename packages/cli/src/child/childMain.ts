/**
 * The entry point of q's child processes (forked by the supervisor): reads its
 * configuration from the environment and runs a worker or a fork process. Log lines
 * go to stderr, which the supervisor reads and writes out whole.
 */
import { createLogger } from "@q/core";
import { CHILD_CONFIG_ENV, type ChildConfig } from "../protocol";
import { runForkProcess } from "./runForkProcess";
import { runWorkerProcess } from "./runWorkerProcess";

const text = process.env[CHILD_CONFIG_ENV];
if (!text || !process.send) {
  process.stderr.write("This is q's child process entry point; run `q` instead.\n");
  process.exit(2);
}
delete process.env[CHILD_CONFIG_ENV];
const config = JSON.parse(text) as ChildConfig;
// Pipes are written synchronously on Linux: a line is out before the loop can block or the process exit.
const logger = createLogger(config.options.log, (line) => void process.stderr.write(line));
process.on("uncaughtExceptionMonitor", (err) => logger.fatal({ err }, `Uncaught exception; the process exits: ${err.message}`));

void (config.kind === "worker" ? runWorkerProcess(config, logger) : runForkProcess(config, logger));
