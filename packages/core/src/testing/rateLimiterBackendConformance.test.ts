import { ConfigurationError } from "../errors/ConfigurationError";
import type { TestFramework } from "./conformance";
import { MemoryRateLimiterBackend } from "./MemoryRateLimiterBackend";
import { type RateLimiterBackendCase, runRateLimiterBackendConformance } from "./rateLimiterBackendConformance";

// The memory backend is one store per instance: every client the kit asks for is the same one.
let shared = new MemoryRateLimiterBackend();
runRateLimiterBackendConformance({
  name: "MemoryRateLimiterBackend",
  makeBackend: () => shared,
  destroyBackend: () => void (shared = new MemoryRateLimiterBackend()),
});

describe("runRateLimiterBackendConformance options", () => {
  const registered: string[] = [];
  const framework: TestFramework = {
    describe: (name) => void registered.push(name),
    it: (name) => void registered.push(name),
    beforeEach: () => undefined,
    afterEach: () => undefined,
  };
  const base = { name: "Memory", makeBackend: () => new MemoryRateLimiterBackend(), framework };

  beforeEach(() => (registered.length = 0));

  it("rejects an unknown case in skip with a ConfigurationError naming it, registering nothing", () => {
    expect(() => runRateLimiterBackendConformance({ ...base, skip: ["nope" as RateLimiterBackendCase] })).toThrow(
      new ConfigurationError('runRateLimiterBackendConformance: unknown case "nope" in skip.'),
    );
    expect(registered).toEqual([]);
  });

  it.each([0, -5, NaN, Infinity])("rejects ttlResolution %p with a ConfigurationError", (ttlResolution) => {
    expect(() => runRateLimiterBackendConformance({ ...base, ttlResolution })).toThrow(ConfigurationError);
    expect(registered).toEqual([]);
  });

  it("rejects a framework without the test functions, naming the kit", () => {
    expect(() => runRateLimiterBackendConformance({ ...base, framework: { describe: 1 as never } })).toThrow(
      /^runRateLimiterBackendConformance needs the test globals describe \(/,
    );
  });

  it("registers one suite when the options are good", () => {
    runRateLimiterBackendConformance({ ...base, ttlResolution: 1000 });
    expect(registered).toEqual(["Memory: rate-limiter backend conformance"]);
  });
});
