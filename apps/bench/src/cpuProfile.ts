/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function and per
 * package, so a slow path can be read without opening DevTools.
 */
import fs from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  /** Where: package-relative file:line, or a V8 pseudo-frame like (garbage collector). */
  location: string;
  selfMs: number;
  /** Share of the busy (non-idle) time. */
  percent: number;
}

export interface ProfileSummary {
  /** Whether only a window of the profile was counted. */
  windowed: boolean;
  totalMs: number;
  idleMs: number;
  functions: SelfTime[];
  packages: { name: string; selfMs: number; percent: number }[];
}

/**
 * Self time per function and per package. With `window` (monotonic µs, the profile's own
 * clock), only samples taken inside it count: the measured work, without start-up and
 * shutdown.
 */
export function summarizeProfile(file: string, options: { top?: number; window?: readonly [number, number] } = {}): ProfileSummary {
  const top = options.top ?? 25;
  const [from, to] = options.window ?? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  const profile = JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  // timeDeltas[i] is the time between sample i-1 and sample i: sample i-1 ran for it.
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length - 1; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < from || t > to) continue;
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000);
  }
  const functions = new Map<string, { name: string; location: string; selfMs: number }>();
  const packages = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  for (const [id, ms] of self) {
    const frame = byId.get(id)!.callFrame;
    totalMs += ms;
    if (frame.functionName === "(idle)") {
      idleMs += ms;
      continue;
    }
    const location = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : "";
    const name = frame.functionName || "(anonymous)";
    const key = `${name} ${location}`;
    const entry = functions.get(key) ?? { name, location, selfMs: 0 };
    entry.selfMs += ms;
    functions.set(key, entry);
    const pkg = packageOf(frame.url, frame.functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
  }
  const busy = totalMs - idleMs || 1;
  return {
    windowed: options.window !== undefined,
    totalMs,
    idleMs,
    functions: [...functions.values()]
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top)
      .map((f) => ({ ...f, percent: (100 * f.selfMs) / busy })),
    packages: [...packages.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, selfMs]) => ({ name, selfMs, percent: (100 * selfMs) / busy })),
  };
}

export function formatProfileSummary(file: string, s: ProfileSummary): string {
  const lines = [
    `CPU profile ${file}${s.windowed ? ", timed interval only" : ""}: ${s.totalMs.toFixed(0)} ms sampled, ${(s.totalMs - s.idleMs).toFixed(0)} ms busy (${s.idleMs.toFixed(0)} ms idle)`,
    "",
    "Top self time (share of busy time):",
  ];
  for (const f of s.functions) lines.push(`  ${f.selfMs.toFixed(1).padStart(8)} ms ${f.percent.toFixed(1).padStart(5)}%  ${f.name}  ${f.location}`);
  lines.push("", "Self time by package:");
  for (const p of s.packages) lines.push(`  ${p.selfMs.toFixed(1).padStart(8)} ms ${p.percent.toFixed(1).padStart(5)}%  ${p.name}`);
  return lines.join("\n");
}

/** `…/node_modules/.pnpm/x@1/node_modules/x/lib/a.js` → `x/lib/a.js`; workspace paths relative to packages/ or apps/. */
function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, "");
  const nm = path.lastIndexOf("/node_modules/");
  if (nm >= 0) return path.slice(nm + "/node_modules/".length);
  const ws = /\/(?:packages|apps)\/(.*)$/.exec(path);
  return ws ? ws[1]! : path;
}

function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native/V8 builtins)";
  if (url.startsWith("node:")) return "node internals";
  const path = url.replace(/^file:\/\//, "");
  const nm = path.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = path.slice(nm + "/node_modules/".length).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (path.includes("/packages/core/")) return "@q/core";
  if (path.includes("/packages/broker-redis/")) return "@q/broker-redis";
  if (path.includes("/apps/bench/")) return "@q/bench (harness)";
  return "other";
}
