import path from "node:path";
import { type FSWatcher, watch } from "chokidar";
import type { WatchOptions } from "../CliOptions";
import { compileGlobs } from "./compileGlobs";

/** Directories never watched (and never descended into). */
const SKIPPED_DIRS = new Set(["node_modules", ".git"]);
/** Changes closer together than this make one reload. */
const DEBOUNCE_MS = 300;

/**
 * Calls `onChange` (debounced) when a file under `options.dir` that matches an include
 * glob and no exclude glob is created, changed or removed, in any subdirectory, also one
 * created after the start (node_modules and .git are skipped). Watches with chokidar:
 * file-system events, or in polling mode a stat of every matching file each `pollInterval` ms.
 *
 * Not `fs.watch(dir, { recursive: true })`: on Linux, Node 20 emulates it with one watch per
 * file and directory of the whole tree, node_modules included, set up synchronously at start.
 *
 * @example
 * const watcher = new SourceWatcher(options.watch, (file) => supervisor.reload(`${file} changed`));
 * watcher.close();
 */
export class SourceWatcher {
  private readonly include: (file: string) => boolean;
  private readonly exclude: (file: string) => boolean;
  private readonly watcher: FSWatcher;
  private debounce: NodeJS.Timeout | undefined;
  private lastChanged = "";
  private closed = false;

  constructor(
    private readonly options: WatchOptions,
    private readonly onChange: (file: string) => void,
    private readonly onError: (error: Error) => void = () => undefined,
  ) {
    this.include = compileGlobs(options.include);
    this.exclude = compileGlobs(options.exclude);
    this.watcher = watch(options.dir, {
      ignoreInitial: true,
      usePolling: options.polling,
      interval: options.pollInterval,
      binaryInterval: options.pollInterval,
      // Files that can never trigger a reload are not watched (nor polled) at all.
      ignored: (file, stats) =>
        file !== options.dir && (SKIPPED_DIRS.has(path.basename(file)) || (stats?.isFile() === true && !this.matches(file))),
    });
    for (const event of ["add", "change", "unlink"] as const) this.watcher.on(event, (file: string) => this.changed(file));
    this.watcher.on("error", (error) => this.onError(error as Error));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.debounce);
    this.watcher.close().catch((error: unknown) => this.onError(error as Error));
  }

  private matches(file: string): boolean {
    const rel = path.relative(this.options.dir, file).split(path.sep).join("/");
    return this.include(rel) && !this.exclude(rel);
  }

  private changed(file: string): void {
    if (this.closed || !this.matches(file)) return;
    this.lastChanged = path.relative(this.options.dir, file) || file;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.onChange(this.lastChanged), DEBOUNCE_MS);
  }
}
