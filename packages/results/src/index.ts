/**
 * @q/results: stored actor results for @q. The Redis and memcached backends live in
 * subpaths (`@q/results/redis`, `@q/results/memcached`) so this entry point loads neither
 * ioredis nor memjs; it re-exports what an app needs besides a backend: the Results
 * middleware, the memory backend, the base class and the errors.
 */
export {
  Results,
  type ResultsOptions,
  ResultBackend,
  type ResultBackendOptions,
  type GetResultOptions,
  type ResultKeyParts,
  Missing,
  ResultError,
  ResultMissing,
  ResultTimeout,
  ResultFailure,
} from "@q/core";
export { MemoryResultBackend, type MemoryResultBackendOptions } from "@q/core/testing";
