import { createRequire } from "node:module";

/** The @q/core module's exports. */
export type Core = typeof import("@q/core");

/**
 * The copy of @q/core that the user's module at `file` uses (the CLI's own copy when
 * that one cannot be found): the worker, the default logger and the global broker must
 * all come from the copy the broker and actors were made with.
 *
 * @example
 * const core = loadCore("/srv/app/dist/broker.js");
 * new core.Worker(broker);
 */
export function loadCore(file: string): { core: Core; path: string } {
  const own = require.resolve("@q/core");
  let target = own;
  try {
    target = createRequire(file).resolve("@q/core");
  } catch {
    // the module does not import @q/core itself (e.g. it re-exports a broker from a package)
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading a copy chosen at run time
  return { core: require(target) as Core, path: target };
}
