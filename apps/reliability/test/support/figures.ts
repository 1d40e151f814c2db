import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { FULL } from "./scale";

/** Where each run leaves its measured figures (docs/reliability.md quotes the full run's). */
export const FIGURES_FILE = path.resolve(__dirname, `../../results/${FULL ? "full" : "ci"}.json`);

/**
 * Records a measured figure under `name` (e.g. "redis.sigkill.redeliveryMs") in this run's
 * results file, with the date and machine, so the docs quote what a run printed.
 *
 * @example
 * recordFigure("redis.sigkill", { kills: 5, duplicates: 12, redeliveryMs: { max: 10_400 } });
 */
export function recordFigure(name: string, value: unknown): void {
  mkdirSync(path.dirname(FIGURES_FILE), { recursive: true });
  let doc: { machine?: unknown; figures: Record<string, unknown> } = { figures: {} };
  try {
    doc = JSON.parse(readFileSync(FIGURES_FILE, "utf8"));
  } catch {
    // first figure of this run's file
  }
  doc.machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.type()} ${os.release()}` };
  doc.figures[name] = { ...(value as object), at: new Date().toISOString(), scale: FULL ? "full" : "ci" };
  writeFileSync(FIGURES_FILE, `${JSON.stringify(doc, null, 2)}\n`);
  process.stderr.write(`[figure] ${name}: ${JSON.stringify(value)}\n`);
}
