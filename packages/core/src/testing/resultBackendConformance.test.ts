import { ConfigurationError } from "../errors/ConfigurationError";
import type { ResultBackendOptions } from "../results/ResultBackend";
import type { TestFramework } from "./conformance";
import { MemoryResultBackend } from "./MemoryResultBackend";
import { type ResultBackendCase, runResultBackendConformance } from "./resultBackendConformance";

// A memory backend is one store per instance: the kit's extra clients in the default
// namespace are that same instance; other namespaces or key modes get a store of their own,
// which isolates them as a server's separate keys would.
let shared = new MemoryResultBackend();
runResultBackendConformance({
  name: "MemoryResultBackend",
  makeBackend: (options: ResultBackendOptions) => (options.namespace || options.useNamespacePrefixKeys ? new MemoryResultBackend(options) : shared),
  destroyBackend: () => void (shared = new MemoryResultBackend()),
});

describe("runResultBackendConformance options", () => {
  const registered: string[] = [];
  const framework: TestFramework = {
    describe: (name) => void registered.push(name),
    it: (name) => void registered.push(name),
    beforeEach: () => undefined,
    afterEach: () => undefined,
  };
  const base = { name: "Memory", makeBackend: () => new MemoryResultBackend(), framework };

  beforeEach(() => (registered.length = 0));

  it("rejects an unknown case in skip with a ConfigurationError naming it, registering nothing", () => {
    expect(() => runResultBackendConformance({ ...base, skip: ["nope" as ResultBackendCase] })).toThrow(
      new ConfigurationError('runResultBackendConformance: unknown case "nope" in skip.'),
    );
    expect(registered).toEqual([]);
  });

  it.each([0, -5, NaN, Infinity])("rejects ttlResolution %p with a ConfigurationError", (ttlResolution) => {
    expect(() => runResultBackendConformance({ ...base, ttlResolution })).toThrow(ConfigurationError);
    expect(registered).toEqual([]);
  });

  it("rejects a framework without the test functions, naming the kit", () => {
    expect(() => runResultBackendConformance({ ...base, framework: { it: 1 as never } })).toThrow(/^runResultBackendConformance needs the test globals it \(/);
  });

  it("registers one suite when the options are good", () => {
    runResultBackendConformance({ ...base, ttlResolution: 1000 });
    expect(registered).toEqual(["Memory: result backend conformance"]);
  });
});

describe("MemoryResultBackend.close", () => {
  it("ends every pending wait (two on one key, one on another) with ConnectionClosed and keeps the stored results", async () => {
    const backend = new MemoryResultBackend();
    const m = (id: string) => ({ queueName: "default", actorName: "add", messageId: id });
    await backend.storeResult(m("kept"), 7, 60_000);
    const waits = [m("a"), m("a"), m("b")].map((x) => backend.getResult(x, { block: true, timeout: 10_000 }).then(() => "resolved", (e: unknown) => (e as Error).name));
    await backend.close();
    expect(await Promise.all(waits)).toEqual(["ConnectionClosed", "ConnectionClosed", "ConnectionClosed"]);
    expect(await backend.getResult(m("kept"))).toBe(7);
  });
});
