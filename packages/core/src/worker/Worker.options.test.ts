import { RecordingBroker } from "../../test/support/RecordingBroker";
import { ConfigurationError } from "../errors/ConfigurationError";
import { QError } from "../errors/QError";
import { Worker, type WorkerOptions } from "./Worker";

const broker = new RecordingBroker({ middleware: [] });

/** What `new Worker(broker, options)` throws. */
function failure(options: unknown): unknown {
  try {
    new Worker(broker, options as WorkerOptions);
  } catch (error) {
    return error;
  }
  throw new Error("expected the constructor to throw");
}

describe("Worker options", () => {
  it.each<[string, Record<string, unknown>, string]>([
    ["concurrency 0", { concurrency: 0 }, "Worker concurrency must be a positive integer, got 0."],
    ["a fractional concurrency", { concurrency: 2.5 }, "Worker concurrency must be a positive integer, got 2.5."],
    ["concurrency as a string", { concurrency: "8" }, 'Worker concurrency must be a positive integer, got "8".'],
    ["a fractional prefetch", { prefetch: 1.5 }, "Worker prefetch must be a positive integer, got 1.5."],
    ["a negative delayPrefetch", { delayPrefetch: -1 }, "Worker delayPrefetch must be a positive integer, got -1."],
    ["timeout 0", { timeout: 0 }, "Worker timeout must be a number of milliseconds from 1 to 2147483647, got 0."],
    ["a NaN timeout", { timeout: NaN }, "Worker timeout must be a number of milliseconds from 1 to 2147483647, got NaN."],
    ["a timeout past setTimeout's limit", { timeout: 2 ** 31 }, "Worker timeout must be a number of milliseconds from 1 to 2147483647, got 2147483648."],
    ["a negative restartDelay", { restartDelay: -5 }, "Worker restartDelay must be a number of milliseconds from 0 to 2147483647, got -5."],
    ["an infinite restartDelay", { restartDelay: Infinity }, "Worker restartDelay must be a number of milliseconds from 0 to 2147483647, got Infinity."],
    ["queues as a string", { queues: "emails" }, 'Worker queues must be a list of queue names, got "emails".'],
    ["a queue that is not a name", { queues: ["emails", 7] }, 'Worker queues must be a list of queue names, got ["emails",7].'],
  ])("rejects %s with a ConfigurationError naming the option and the value", (_label, options, message) => {
    const error = failure(options);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toBeInstanceOf(QError);
    expect(error).toMatchObject({ code: "Q_CONFIGURATION_ERROR", message });
  });

  it("takes the edge values", () => {
    expect(() => new Worker(broker, { concurrency: 1, prefetch: 1, delayPrefetch: 1, timeout: 1, restartDelay: 0, queues: [] })).not.toThrow();
    expect(() => new Worker(broker, { timeout: 2 ** 31 - 1, restartDelay: 2 ** 31 - 1, queues: ["a", "b.DQ"] })).not.toThrow();
    expect(new Worker(broker).concurrency).toBe(8);
  });
});
