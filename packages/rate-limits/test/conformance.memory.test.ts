import { runRateLimiterBackendConformance } from "@q/core/testing";
import { MemoryRateLimiterBackend } from "../src";

// One store per instance: every client the kit asks for within a test is the same one.
let shared = new MemoryRateLimiterBackend();
runRateLimiterBackendConformance({
  name: "MemoryRateLimiterBackend",
  makeBackend: () => shared,
  destroyBackend: () => void (shared = new MemoryRateLimiterBackend()),
});
