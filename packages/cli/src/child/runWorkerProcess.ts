import type { Broker, Worker } from "@q/core";
import { qName } from "@q/core/broker";
import type { Logger } from "pino";
import { ExitCode } from "../ExitCode";
import { importModule } from "../modules/importModule";
import { loadCore } from "../modules/loadCore";
import { resolveBroker } from "../modules/resolveBroker";
import { resolveModuleFile } from "../modules/resolveModuleFile";
import { HEARTBEAT_INTERVAL_MS, type ChildConfig, type SupervisorMessage } from "../protocol";
import { bootFailure } from "./bootFailure";
import { createInFlightReporter } from "./createInFlightReporter";
import { createSupervisorChannel } from "./createSupervisorChannel";
import { sendToSupervisor } from "./sendToSupervisor";

/** Most message ids remembered as "blocked a process past its time limit". */
const MAX_KILLED_IDS = 1000;

/**
 * A worker process (spec 13): imports the broker module and the actor modules, runs a
 * Worker on them, tells the supervisor when it is ready and what it is running, and
 * stops gracefully on the first TERM/HUP (exit 0) or at once on the second (exit 1).
 * SIGINT is ignored: the supervisor forwards it as TERM.
 */
export async function runWorkerProcess(config: Extract<ChildConfig, { kind: "worker" }>, logger: Logger): Promise<void> {
  const { options, index } = config;
  const log = logger.child({ name: `q.WorkerProcess(${index})` });
  const killed = new Set(config.timeLimitKilled);
  process.on("message", (m: SupervisorMessage) => {
    if (m?.type !== "timeLimitKilled") return;
    killed.add(m.id);
    if (killed.size > MAX_KILLED_IDS) killed.delete(killed.values().next().value!);
  });

  // booting: importing modules; connecting: the worker runs, waiting for its broker to answer.
  let state = "booting" as "booting" | "connecting" | "running" | "stopping";
  let running: { worker: Worker; broker: Broker } | undefined;
  const stop = async () => {
    if (!running) return process.exit(ExitCode.OK);
    await running.worker.stop({ timeout: options.workerShutdownTimeout });
    await running.broker.close();
    process.exit(ExitCode.OK);
  };
  const onSignal = () => {
    if (state === "stopping") {
      log.warn("Killing worker process...");
      process.exit(ExitCode.KILLED);
    }
    const booting = state === "booting";
    state = "stopping";
    log.info("Stopping worker process...");
    if (!booting) stop().catch((err) => {
      log.fatal({ err }, "Failed to stop the worker gracefully.");
      process.exit(ExitCode.KILLED);
    });
    else if (!running) process.exit(ExitCode.OK);
  };
  process.on("SIGINT", () => undefined);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  // The supervisor went away (killed): stop like on TERM rather than run unsupervised.
  process.on("disconnect", () => state !== "stopping" && onSignal());
  setInterval(() => sendToSupervisor({ type: "heartbeat" }), HEARTBEAT_INTERVAL_MS);

  try {
    const brokerFile = resolveModuleFile(options.broker.specifier, options.path);
    const { core, path: corePath } = loadCore(brokerFile);
    log.debug(`Using @q/core from ${corePath}.`);
    if (!options.skipLogging && typeof core.setDefaultLogger === "function") core.setDefaultLogger(logger);
    // Before the broker module runs: middleware made there may look for it (older cores have none).
    if (typeof core.setSupervisorChannel === "function") core.setSupervisorChannel(createSupervisorChannel(index, log));
    const ns = await importModule(brokerFile, options.broker.specifier);
    const broker = await resolveBroker(ns, options.broker, core);
    await broker.emitAfter("afterProcessBoot");
    for (const specifier of options.modules) await importModule(resolveModuleFile(specifier, options.path), specifier);
    for (const queue of options.queues ?? []) {
      if (!broker.queues.has(qName(queue))) log.warn(`Queue '${queue}' (from --queues) has no declared actor; nothing is consumed from it.`);
    }
    const worker = new core.Worker(broker, { concurrency: options.threads, queues: options.queues, ...options.tuning });
    broker.addMiddleware(createInFlightReporter(core, killed, log));
    await worker.start();
    running = { worker, broker };
  } catch (error) {
    return failBoot(error);
  }

  if (state === "stopping") return void stop();
  state = "connecting";
  try {
    // Ready only once every consumer has reached the broker; one that cannot exits 3.
    await running.worker.whenConnected();
  } catch (error) {
    if (state === "connecting") failBoot(error);
    return;
  }
  if (state !== "connecting") return; // a signal came while connecting: stopping
  state = "running";
  log.info("Worker process is ready for action.");
  sendToSupervisor({ type: "ready", forks: middlewareForks(running.broker) });
}

/** The fork functions the broker's middleware declare (well-formed ones only). */
function middlewareForks(broker: Broker): { module: string; exportName: string }[] {
  return broker.middleware.flatMap((m) =>
    (Array.isArray(m.forks) ? (m.forks as unknown[]) : []).flatMap((ref) => {
      const { module, exportName } = (ref ?? {}) as { module?: unknown; exportName?: unknown };
      return typeof module === "string" && typeof exportName === "string" ? [{ module, exportName }] : [];
    }),
  );
}

/** Tells the supervisor why this process cannot work, then exits with the matching code. */
function failBoot(error: unknown): void {
  const failure = bootFailure(error);
  const exit = () => process.exit(failure.code);
  sendToSupervisor({ type: "bootFailed", ...failure }, exit);
  setTimeout(exit, 1000).unref();
}
