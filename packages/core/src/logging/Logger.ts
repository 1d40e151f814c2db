import type { Logger as PinoLogger } from "pino";

/**
 * The logger @q writes to: a pino logger. Pass your own (`{ logger }` on brokers and
 * workers) to route, format or silence @q's log lines.
 *
 * @example
 * const broker = new StubBroker({ logger: pino({ level: "warn" }) });
 */
export type Logger = PinoLogger;
