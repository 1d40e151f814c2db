import type { ForkContext } from "@q/core";
import type { Logger } from "pino";
import { ExitCode } from "../ExitCode";
import { ImportFailure } from "../errors/ImportFailure";
import { importModule } from "../modules/importModule";
import { loadCore } from "../modules/loadCore";
import { resolveModuleFile } from "../modules/resolveModuleFile";
import { HEARTBEAT_INTERVAL_MS, type ChildConfig } from "../protocol";
import { bootFailure } from "./bootFailure";
import { createForkContext } from "./createForkContext";
import { sendToSupervisor } from "./sendToSupervisor";

/**
 * A fork process (`--fork-function module:function`): calls the function once (it may
 * be async) with core's ForkContext and stays up. If the function returns a function,
 * that is called on stop (close your server there). First TERM/HUP: stop and exit 0;
 * second: exit 1 at once.
 */
export async function runForkProcess(config: Extract<ChildConfig, { kind: "fork" }>, logger: Logger): Promise<void> {
  const { options, fn, index } = config;
  const label = `${fn.specifier}:${fn.exportPath}`;
  const log = logger.child({ name: `q.ForkProcess(${index})` });
  let stopping = false;
  let cleanup: (() => unknown) | undefined;
  // Listening before anything else: the supervisor's init comes right after the spawn.
  const { context, ready, deliver } = createForkContext();
  const onSignal = () => {
    if (stopping) {
      log.warn("Killing fork process...");
      process.exit(ExitCode.KILLED);
    }
    stopping = true;
    Promise.resolve()
      .then(() => cleanup?.())
      .then(
        () => process.exit(ExitCode.OK),
        (err: unknown) => {
          log.error({ err }, `The stop function of '${label}' failed.`);
          process.exit(ExitCode.KILLED);
        },
      );
  };
  process.on("SIGINT", () => undefined);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  process.on("disconnect", () => !stopping && onSignal());
  setInterval(() => sendToSupervisor({ type: "heartbeat" }), HEARTBEAT_INTERVAL_MS);

  try {
    const file = resolveModuleFile(fn.specifier, options.path);
    const { core } = loadCore(file);
    if (!options.skipLogging && typeof core.setDefaultLogger === "function") core.setDefaultLogger(logger);
    const ns = await importModule(file, fn.specifier);
    const target = lookup(ns, fn.exportPath!);
    if (typeof target !== "function") throw new ImportFailure(`'${fn.exportPath}' of module '${fn.specifier}' is not a function (--fork-function).`);
    await ready;
    const result = await (target as (context: ForkContext) => unknown)(context);
    if (typeof result === "function") cleanup = result as () => unknown;
    deliver();
  } catch (error) {
    const failure = bootFailure(error);
    const exit = () => process.exit(failure.code);
    sendToSupervisor({ type: "bootFailed", ...failure }, exit);
    setTimeout(exit, 1000).unref();
    return;
  }
  log.info(`Fork process '${label}' is ready for action.`);
  sendToSupervisor({ type: "ready" });
}

function lookup(ns: Record<string, unknown>, exportPath: string): unknown {
  for (const root of [ns, ns.default]) {
    let value: unknown = root;
    for (const part of exportPath.split(".")) value = value !== null && (typeof value === "object" || typeof value === "function") ? (value as Record<string, unknown>)[part] : undefined;
    if (value !== undefined) return value;
  }
  return undefined;
}
