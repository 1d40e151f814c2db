/* eslint-disable @typescript-eslint/no-require-imports -- loaded lazily on purpose, see below */
import type { Lib } from "../protocol";
import type { Adapter } from "./Adapter";

/**
 * The adapter of a library. Loaded with a lazy `require`, so a child process loads
 * (and JIT-compiles, and keeps on its heap) only the library it runs.
 */
export function adapterFor(lib: Lib): Adapter {
  switch (lib) {
    case "q":
      return (require("./q") as typeof import("./q")).qAdapter;
    case "q-prom": {
      const { makeQAdapter } = require("./q") as typeof import("./q");
      const { Prometheus } = require("@q/middleware-prometheus") as typeof import("@q/middleware-prometheus");
      return makeQAdapter(() => [new Prometheus()]);
    }
    case "bullmq":
      return (require("./bullmq") as typeof import("./bullmq")).bullmqAdapter;
    case "bee-queue":
      return (require("./beeQueue") as typeof import("./beeQueue")).beeQueueAdapter;
    case "ioredis-raw":
      return (require("./ioredisRaw") as typeof import("./ioredisRaw")).ioredisRawAdapter;
  }
}
