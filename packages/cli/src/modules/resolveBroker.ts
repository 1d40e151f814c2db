import type { Broker } from "@q/core";
import type { ModuleRef } from "../CliOptions";
import { ImportFailure } from "../errors/ImportFailure";
import { isBrokerLike } from "./isBrokerLike";
import type { Core } from "./loadCore";

/**
 * The broker a broker module stands for (spec 13): its `exportPath` export, or else its
 * `broker` export, its default export, or the global broker it set with setBroker(). An
 * exported function is called (it may be async) to make or set up the broker.
 *
 * @example
 * const broker = await resolveBroker(ns, { specifier: "./dist/app.js", exportPath: "broker" }, core);
 */
export async function resolveBroker(ns: Record<string, unknown>, ref: ModuleRef, core: Core): Promise<Broker> {
  const name = `'${ref.specifier}'`;
  if (ref.exportPath) {
    const value = lookup(ns, ref.exportPath);
    if (value === undefined) throw new ImportFailure(`Module ${name} does not export '${ref.exportPath}'.`);
    if (isBrokerLike(value)) return value;
    if (typeof value === "function") {
      let made: unknown;
      try {
        made = await (value as () => unknown)();
      } catch (error) {
        throw new ImportFailure(`Calling '${ref.exportPath}' of module ${name} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      }
      if (isBrokerLike(made)) return made;
      const global = globalBroker(core);
      if (global) return global;
      throw new ImportFailure(`'${ref.exportPath}' of module ${name} is a function that neither returned a broker nor called setBroker().`);
    }
    throw new ImportFailure(`'${ref.exportPath}' of module ${name} is not a broker (got ${describe(value)}).`);
  }
  for (const candidate of [ns.broker, ns.default, (ns.default as Record<string, unknown> | undefined)?.broker]) {
    if (isBrokerLike(candidate)) return candidate;
  }
  const global = globalBroker(core);
  if (global) return global;
  throw new ImportFailure(
    `Module ${name} exports no broker (no 'broker' or default export that is one) and set no global broker with setBroker(); name the export with ${ref.specifier}:name.`,
  );
}

function lookup(ns: Record<string, unknown>, exportPath: string): unknown {
  const parts = exportPath.split(".");
  for (const root of [ns, ns.default]) {
    let value: unknown = root;
    for (const part of parts) value = value !== null && (typeof value === "object" || typeof value === "function") ? (value as Record<string, unknown>)[part] : undefined;
    if (value !== undefined) return value;
  }
  return undefined;
}

function globalBroker(core: Core): Broker | undefined {
  try {
    const broker = core.getBroker();
    return isBrokerLike(broker) ? broker : undefined;
  } catch {
    return undefined;
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return `an object${value.constructor?.name && value.constructor.name !== "Object" ? ` of class ${value.constructor.name}` : ""}`;
  return `a ${typeof value}`;
}
