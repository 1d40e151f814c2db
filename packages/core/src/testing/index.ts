/**
 * @q/core/testing: tools for testing brokers and apps built on @q. The broker
 * conformance kit (`runBrokerConformance`) registers the behaviour every broker must
 * have with your test framework, `runRateLimiterBackendConformance` the behaviour every
 * rate-limiter backend must have; `MemoryRateLimiterBackend` is an in-memory
 * rate-limiter/barrier backend for tests and single-process apps, `MemoryResultBackend` an
 * in-memory result backend, and `runResultBackendConformance` the behaviour every result
 * backend must have.
 */
export {
  runBrokerConformance,
  type BrokerConformanceOptions,
  type ConformanceCase,
  type KitBrokerOptions,
  type DeadLetter,
  type TestFramework,
} from "./conformance";
export { MemoryResultBackend, type MemoryResultBackendOptions } from "./MemoryResultBackend";
export { MemoryRateLimiterBackend, type MemoryRateLimiterBackendOptions } from "./MemoryRateLimiterBackend";
export {
  runRateLimiterBackendConformance,
  type RateLimiterBackendConformanceOptions,
  type RateLimiterBackendCase,
} from "./rateLimiterBackendConformance";
export {
  runResultBackendConformance,
  type ResultBackendConformanceOptions,
  type ResultBackendCase,
} from "./resultBackendConformance";
export { runInspectorConformance, type InspectorConformanceOptions, type InspectorCase } from "./inspectorConformance";
