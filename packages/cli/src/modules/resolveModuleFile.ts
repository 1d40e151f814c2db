import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ImportFailure } from "../errors/ImportFailure";

const EXTENSIONS = ["", ".js", ".mjs", ".cjs", ".ts", ".mts", ".cts"];
const INDEXES = EXTENSIONS.slice(1).map((ext) => `index${ext}`);

/**
 * The file a module named on the command line lives in: a path tried against each
 * `--path` directory in turn (the extension may be left out, a directory means its
 * index file), or else a package specifier resolved from that directory.
 *
 * @example
 * resolveModuleFile("dist/broker", ["/srv/app"]) // "/srv/app/dist/broker.js"
 */
export function resolveModuleFile(specifier: string, dirs: readonly string[]): string {
  if (specifier.startsWith("file:")) specifier = fileURLToPath(specifier);
  for (const dir of dirs) {
    const found = asFile(path.resolve(dir, specifier));
    if (found) return found;
  }
  if (!path.isAbsolute(specifier) && !specifier.startsWith(".")) {
    for (const dir of dirs) {
      try {
        return createRequire(path.join(dir, "noop.js")).resolve(specifier);
      } catch {
        // not a package visible from this directory either
      }
    }
  }
  const where = path.isAbsolute(specifier) ? "" : ` (looked in ${dirs.join(", ")})`;
  throw new ImportFailure(`Cannot find module '${specifier}'${where}.`);
}

function asFile(base: string): string | undefined {
  for (const ext of EXTENSIONS) {
    const candidate = base + ext;
    if (isFile(candidate)) return candidate;
  }
  if (isDirectory(base)) {
    const main = packageMain(base);
    if (main) return main;
    for (const index of INDEXES) if (isFile(path.join(base, index))) return path.join(base, index);
  }
  return undefined;
}

function packageMain(dir: string): string | undefined {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { main?: unknown };
    return typeof pkg.main === "string" ? asFile(path.resolve(dir, pkg.main)) : undefined;
  } catch {
    return undefined;
  }
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
