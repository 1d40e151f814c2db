import { pathToFileURL } from "node:url";
import { ImportFailure } from "../errors/ImportFailure";

/**
 * Imports a file with a real dynamic `import()`, so ES modules and CommonJS both load
 * (a CommonJS module's exports are its namespace's `default`, named ones too when Node
 * can tell them). TypeScript needs a loader (`NODE_OPTIONS="--import tsx"`).
 *
 * @example
 * const ns = await importModule("/srv/app/dist/broker.js", "./dist/broker.js");
 */
export async function importModule(file: string, specifier: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ERR_UNKNOWN_FILE_EXTENSION" && /\.[cm]?ts$/.test(file)) {
      throw new ImportFailure(
        `Cannot import '${specifier}': Node cannot load TypeScript by itself; run q with a loader (NODE_OPTIONS="--import tsx") or compile first.`,
        { cause: error },
      );
    }
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new ImportFailure(`Cannot import '${specifier}': ${firstLine(message)}`, { cause: error });
  }
}

function firstLine(text: string): string {
  const i = text.indexOf("\n");
  return i < 0 ? text : text.slice(0, i);
}
