import type { ModuleRef } from "./CliOptions";

const WITH_EXPORT = /^(.+):([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)$/;

/**
 * Splits `module:export.path` at its last colon when an identifier path follows it
 * (so `file:///x.js` stays whole).
 *
 * @example
 * splitModuleRef("./dist/app.js:queues.broker") // { specifier: "./dist/app.js", exportPath: "queues.broker" }
 */
export function splitModuleRef(text: string): ModuleRef {
  const m = WITH_EXPORT.exec(text);
  return m ? { specifier: m[1]!, exportPath: m[2]! } : { specifier: text };
}
