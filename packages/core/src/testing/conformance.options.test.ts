import { RecordingBroker } from "../../test/support/RecordingBroker";
import { ConfigurationError } from "../errors/ConfigurationError";
import { type BrokerConformanceOptions, type ConformanceCase, type TestFramework, runBrokerConformance } from "./conformance";

/** A framework that registers nothing: the options are checked before any test is. */
const registered: string[] = [];
const framework: TestFramework = {
  describe: (name) => void registered.push(name),
  it: (name) => void registered.push(name),
  beforeEach: () => undefined,
  afterEach: () => undefined,
};

const base: BrokerConformanceOptions = {
  name: "RecordingBroker",
  makeBroker: () => new RecordingBroker(),
  injectRaw: async () => undefined,
  deadLetters: async () => [],
  framework,
};

/** What `runBrokerConformance(options)` throws. */
function failure(options: BrokerConformanceOptions): unknown {
  try {
    runBrokerConformance(options);
  } catch (error) {
    return error;
  }
  throw new Error("expected runBrokerConformance to throw");
}

describe("runBrokerConformance options", () => {
  beforeEach(() => (registered.length = 0));

  it.each([0, -1, NaN, Infinity, "2" as unknown as number])("rejects timeScale %p with a ConfigurationError, registering nothing", (timeScale) => {
    const error = failure({ ...base, timeScale });
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(`runBrokerConformance: timeScale must be a positive number, got ${String(timeScale)}.`);
    expect(registered).toEqual([]);
  });

  it("rejects an unknown case in skip with a ConfigurationError naming it", () => {
    const error = failure({ ...base, skip: ["no-such-case" as ConformanceCase] });
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe('runBrokerConformance: unknown case "no-such-case" in skip.');
    expect(registered).toEqual([]);
  });

  it("rejects a framework without the test functions with a ConfigurationError naming them", () => {
    const error = failure({ ...base, framework: { describe: "describe" as never, it: 1 as never } });
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/^runBrokerConformance needs the test globals describe, it \(/);
  });

  it("registers the suite when the options are good", () => {
    runBrokerConformance({ ...base, timeScale: 0.5 });
    expect(registered).toEqual(["RecordingBroker: broker conformance"]);
  });
});
