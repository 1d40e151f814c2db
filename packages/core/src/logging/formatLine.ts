/** Pino's numeric levels as Dramatiq (Python logging) names them. */
const LEVEL_NAMES: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARNING", 50: "ERROR", 60: "CRITICAL" };

/** Fields that have their own place in the text line. */
const PLACED = new Set(["level", "time", "pid", "hostname", "name", "msg", "err"]);

/**
 * One pino JSON record as a line in Dramatiq's log format:
 * `[2026-11-21 07:35:55,775] [PID 16927] [MainThread] [q.MainProcess] [INFO] message`.
 * An error's stack follows on the next lines (as a Python traceback does); other
 * fields are appended as JSON.
 *
 * @example
 * formatLine({ level: 30, time: Date.now(), pid: 1, name: "q.MainProcess", msg: "hi" });
 */
export function formatLine(record: Record<string, unknown>): string {
  const level = LEVEL_NAMES[record.level as number] ?? String(record.level);
  const time = typeof record.time === "number" ? record.time : Date.now();
  const name = typeof record.name === "string" ? record.name : "q";
  let line = `[${timestamp(time)}] [PID ${String(record.pid ?? process.pid)}] [MainThread] [${name}] [${level}] ${String(record.msg ?? "")}`;
  const extra: Record<string, unknown> = {};
  let hasExtra = false;
  for (const key of Object.keys(record)) {
    if (PLACED.has(key)) continue;
    extra[key] = record[key];
    hasExtra = true;
  }
  if (hasExtra) line += ` ${JSON.stringify(extra)}`;
  const err = record.err as { stack?: unknown; message?: unknown } | undefined;
  if (err && typeof err === "object") line += `\n${typeof err.stack === "string" ? err.stack : String(err.message)}`;
  return line;
}

/** Local time as Python's logging writes `asctime`: `2026-11-21 07:35:55,775`. */
function timestamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}
