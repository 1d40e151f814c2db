/**
 * @q/core/logging: q's loggers without the rest of @q/core, for processes that only log
 * (the `q` supervisor starts faster without loading actors, brokers and workers).
 *
 * @example
 * import { createLogger } from "@q/core/logging";
 * createLogger({ level: "info" }).child({ name: "q.MainProcess" }).info("booting");
 */
export type { Logger } from "./Logger";
export { createLogger, type LogSettings } from "./createLogger";
export { formatLine } from "./formatLine";
