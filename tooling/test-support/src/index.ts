/**
 * Helpers shared by the integration tests of the @q packages (private; never published).
 * Server checks live in subpaths so a test only loads the client it uses:
 * `@q/test-support/redis`, `@q/test-support/rabbitmq`, `@q/test-support/memcached`.
 * Dedicated servers a test may stop, restart or configure: `@q/test-support/redis-server`,
 * `@q/test-support/rabbit-server`; `q` processes: `@q/test-support/q-process`.
 */
export { waitFor, type WaitForOptions } from "./waitFor";
export { deferred, type Deferred } from "./deferred";
export { captureLogger, silentLogger, LEVEL, type LogLine, type CapturedLogs } from "./captureLogger";
export { pythonBytes, type PythonMessageFields } from "./pythonBytes";
export { flood, type Flood } from "./flood";
export { scrape, parseExposition, sampleKey, value, type Scrape } from "./scrapeMetrics";
