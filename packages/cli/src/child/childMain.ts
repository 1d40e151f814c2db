/**
 * The entry point of q's child processes (forked by the supervisor): reads its
 * configuration from the environment and runs a worker or a fork process. Log lines
 * go to stderr, which the supervisor reads and writes out whole.
 */
import { createLogger } from "@q/core";
import { CHILD_CONFIG_ENV, type ChildConfig, PREFORK_ENV, type SupervisorMessage } from "../protocol";
import { runForkProcess } from "./runForkProcess";
import { runWorkerProcess } from "./runWorkerProcess";

const text = process.env[CHILD_CONFIG_ENV];
const preforked = process.env[PREFORK_ENV] === "1";
if ((!text && !preforked) || !process.send) {
  process.stderr.write("This is q's child process entry point; run `q` instead.\n");
  process.exit(2);
}
delete process.env[CHILD_CONFIG_ENV];
delete process.env[PREFORK_ENV];
if (text) {
  run(JSON.parse(text) as ChildConfig);
} else {
  // Forked ahead of time: @q/core is loaded above while the supervisor boots. Until the
  // config comes, go quietly with the supervisor, and leave INT to it (as worker processes do).
  const ignoreInt = () => undefined;
  const leave = () => process.exit(0);
  const onConfig = (m: SupervisorMessage) => {
    if (m?.type !== "config") return;
    process.off("message", onConfig);
    process.off("disconnect", leave);
    process.off("SIGINT", ignoreInt);
    run(m.config);
  };
  process.on("SIGINT", ignoreInt);
  process.on("disconnect", leave);
  process.on("message", onConfig);
}

function run(config: ChildConfig): void {
  // Pipes are written synchronously on Linux: a line is out before the loop can block or the process exit.
  const logger = createLogger(config.options.log, (line) => void process.stderr.write(line));
  process.on("uncaughtExceptionMonitor", (err) => logger.fatal({ err }, `Uncaught exception; the process exits: ${err.message}`));
  void (config.kind === "worker" ? runWorkerProcess(config, logger) : runForkProcess(config, logger));
}
