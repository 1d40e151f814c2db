import fs from "node:fs";
import path from "node:path";
import type { WatchOptions } from "../CliOptions";
import { globToRegExp } from "./globToRegExp";

/** Directories never watched (and never scanned). */
const SKIPPED_DIRS = new Set(["node_modules", ".git"]);
/** Changes closer together than this make one reload. */
const DEBOUNCE_MS = 300;
/** Bounds the number of directories watched or scanned. */
const MAX_DIRS = 10_000;

/**
 * Calls `onChange` (debounced) when a file under `options.dir` that matches an include
 * pattern and no exclude pattern is created, changed or removed. Uses one fs.watch per
 * directory (node_modules and .git skipped, new directories picked up), or in polling
 * mode rescans the tree every `pollInterval` ms and compares sizes and mtimes.
 *
 * @example
 * const watcher = new SourceWatcher(options.watch, (file) => supervisor.reload(`${file} changed`));
 * watcher.close();
 */
export class SourceWatcher {
  private readonly include: RegExp[];
  private readonly exclude: RegExp[];
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private snapshot = new Map<string, string>();
  private poller: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private lastChanged = "";
  private closed = false;

  constructor(
    private readonly options: WatchOptions,
    private readonly onChange: (file: string) => void,
    private readonly onError: (error: Error) => void = () => undefined,
  ) {
    this.include = options.include.map(globToRegExp);
    this.exclude = options.exclude.map(globToRegExp);
    if (options.polling) {
      this.snapshot = this.scan();
      this.poller = setInterval(() => this.poll(), options.pollInterval);
    } else {
      this.watchTree(options.dir);
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.poller);
    clearTimeout(this.debounce);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private matches(file: string): boolean {
    const rel = path.relative(this.options.dir, file).split(path.sep).join("/");
    return this.include.some((r) => r.test(rel)) && !this.exclude.some((r) => r.test(rel));
  }

  private changed(file: string): void {
    if (this.closed || !this.matches(file)) return;
    this.lastChanged = path.relative(this.options.dir, file) || file;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.onChange(this.lastChanged), DEBOUNCE_MS);
  }

  private watchTree(dir: string): void {
    if (this.closed || this.watchers.has(dir) || this.watchers.size >= MAX_DIRS) return;
    let watcher: fs.FSWatcher;
    try {
      watcher = fs.watch(dir, (_event, name) => {
        if (!name) return;
        const full = path.join(dir, name.toString());
        if (isDirectory(full)) {
          if (!SKIPPED_DIRS.has(path.basename(full))) this.watchTree(full);
        } else {
          this.changed(full);
        }
      });
    } catch (error) {
      this.onError(error as Error);
      return;
    }
    watcher.on("error", () => {
      // The directory went away: forget it (a parent's event reports the change).
      watcher.close();
      this.watchers.delete(dir);
    });
    this.watchers.set(dir, watcher);
    for (const entry of readDir(dir)) {
      if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) this.watchTree(path.join(dir, entry.name));
    }
  }

  private poll(): void {
    const next = this.scan();
    for (const [file, stamp] of next) if (this.snapshot.get(file) !== stamp) this.changed(file);
    for (const file of this.snapshot.keys()) if (!next.has(file)) this.changed(file);
    this.snapshot = next;
  }

  /** size:mtime of every matching file. */
  private scan(): Map<string, string> {
    const out = new Map<string, string>();
    const dirs = [this.options.dir];
    for (let seen = 0; dirs.length > 0 && seen < MAX_DIRS; seen++) {
      const dir = dirs.pop()!;
      for (const entry of readDir(dir)) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (!SKIPPED_DIRS.has(entry.name)) dirs.push(full);
        } else if (this.matches(full)) {
          try {
            const stat = fs.statSync(full);
            out.set(full, `${stat.size}:${stat.mtimeMs}`);
          } catch {
            // removed between readdir and stat
          }
        }
      }
    }
    return out;
  }
}

function readDir(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}
