import pino from "pino";
import { RecordingBroker } from "../../test/support/RecordingBroker";
import { actor } from "../actor/declareActor";
import { MessageProxy } from "../message/MessageProxy";
import { Retries } from "./Retries";
import { computeBackoff } from "./computeBackoff";

/** A `random` that returns the given values in turn. */
function draws(...values: number[]): () => number {
  const queue = [...values];
  return () => {
    const next = queue.shift();
    if (next === undefined) throw new Error("random() called more often than expected");
    return next;
  };
}

const JUST_UNDER_ONE = 1 - 2 ** -40;
const DAY = 24 * 60 * 60 * 1000;

afterEach(() => jest.restoreAllMocks());

describe("computeBackoff without jitter", () => {
  it("is factor × 2^attempts", () => {
    const big = Number.MAX_SAFE_INTEGER;
    expect(computeBackoff(0, { factor: 100, jitter: false, maxBackoff: big })).toBe(100);
    expect(computeBackoff(1, { factor: 100, jitter: false, maxBackoff: big })).toBe(200);
    expect(computeBackoff(5, { factor: 100, jitter: false, maxBackoff: big })).toBe(3200);
  });

  it("is capped at exactly maxBackoff", () => {
    expect(computeBackoff(10, { factor: 100, jitter: false, maxBackoff: 5000 })).toBe(5000);
    expect(computeBackoff(5, { factor: 100, jitter: false, maxBackoff: 3200 })).toBe(3200); // equal is not over
  });

  it("stops doubling at maxExponent", () => {
    const options = { factor: 1, jitter: false, maxBackoff: Number.MAX_SAFE_INTEGER, maxExponent: 3 };
    expect(computeBackoff(3, options)).toBe(8);
    expect(computeBackoff(50, options)).toBe(8);
    expect(computeBackoff(100, { factor: 1, jitter: false, maxBackoff: Infinity })).toBe(2 ** 32);
  });

  it("never calls random", () => {
    const random = jest.fn(() => 0.5);
    computeBackoff(40, { factor: 100, jitter: false, maxBackoff: 1000, random });
    expect(random).not.toHaveBeenCalled();
  });
});

describe("computeBackoff with jitter", () => {
  it("multiplies by U(1, 2): from exactly the base to just under twice it", () => {
    const big = Number.MAX_SAFE_INTEGER;
    expect(computeBackoff(2, { factor: 1000, maxBackoff: big, random: () => 0 })).toBe(4000);
    expect(computeBackoff(2, { factor: 1000, maxBackoff: big, random: () => 0.5 })).toBe(6000);
    expect(computeBackoff(2, { factor: 1000, maxBackoff: big, random: () => JUST_UNDER_ONE })).toBe(7999);
  });

  it("returns integers", () => {
    const value = computeBackoff(0, { factor: 3, maxBackoff: 1000, random: () => 0.3333 });
    expect(value).toBe(3); // trunc(3 × 1.3333)
    expect(Number.isInteger(computeBackoff(0, { factor: 7, random: () => 0.123 }))).toBe(true);
  });

  it("past maxBackoff becomes maxBackoff × U(0.5, 1) with a second draw", () => {
    const options = { factor: 1000, maxBackoff: 10_000 };
    expect(computeBackoff(10, { ...options, random: draws(0, 0) })).toBe(5000);
    expect(computeBackoff(10, { ...options, random: draws(0.7, 0.5) })).toBe(7500);
    expect(computeBackoff(10, { ...options, random: draws(0, JUST_UNDER_ONE) })).toBe(9999);
  });

  it("can land over the cap only through the jitter of a base under it", () => {
    // base 8000 ≤ 10000, but 8000 × 1.5 = 12000 > 10000: the cap's jitter applies.
    expect(computeBackoff(3, { factor: 1000, maxBackoff: 10_000, random: draws(0.5, 0) })).toBe(5000);
  });

  it("stays within bounds for real random draws", () => {
    for (let attempts = 0; attempts < 40; attempts++) {
      const value = computeBackoff(attempts, { factor: 15_000, maxBackoff: 7 * DAY });
      const base = 15_000 * 2 ** attempts;
      expect(Number.isInteger(value)).toBe(true);
      if (base * 2 <= 7 * DAY) {
        expect(value).toBeGreaterThanOrEqual(base);
        expect(value).toBeLessThan(base * 2);
      }
      expect(value).toBeLessThanOrEqual(7 * DAY);
      if (base > 7 * DAY) expect(value).toBeGreaterThanOrEqual(3.5 * DAY);
    }
  });

  it("uses Dramatiq's defaults: factor 5, maxBackoff 2000", () => {
    expect(computeBackoff(0, { random: () => 0 })).toBe(5);
    expect(computeBackoff(8, { random: () => 0 })).toBe(1280);
    expect(computeBackoff(20, { random: () => 0 })).toBe(1000);
  });
});

describe("Retries' default backoff", () => {
  const NOW = 1_800_000_000_000;

  /** The delay Retries schedules for a failure after `retriesSoFar` earlier ones. */
  async function scheduledDelay(retriesSoFar: number | undefined, random: number): Promise<number> {
    jest.spyOn(Date, "now").mockReturnValue(NOW);
    jest.spyOn(Math, "random").mockReturnValue(random);
    const retries = new Retries();
    const broker = new RecordingBroker({ middleware: [retries], logger: pino({ level: "silent" }) });
    const flaky = actor(function flaky() {}, { broker });
    const message = retriesSoFar === undefined ? flaky.message() : flaky.message().copy({ options: { retries: retriesSoFar } });
    await retries.afterProcessMessage(broker, new MessageProxy(message), { exception: new Error("boom") });
    expect(broker.published).toHaveLength(1);
    const retried = broker.published[0]!;
    expect(retried.queueName).toBe("default.DQ");
    expect(retried.messageId).toBe(message.messageId);
    return (retried.options.eta as number) - NOW;
  }

  it("waits 15 to 30 seconds before the first retry", async () => {
    expect(await scheduledDelay(undefined, 0)).toBe(15_000);
    expect(await scheduledDelay(undefined, 0.5)).toBe(22_500);
    expect(await scheduledDelay(undefined, JUST_UNDER_ONE)).toBe(29_999);
  });

  it("doubles for the next retry", async () => {
    expect(await scheduledDelay(1, 0)).toBe(30_000);
    expect(await scheduledDelay(2, 0)).toBe(60_000);
  });

  it("is capped at 3.5 to 7 days", async () => {
    expect(await scheduledDelay(19, 0)).toBe(3.5 * DAY);
    expect(await scheduledDelay(19, JUST_UNDER_ONE)).toBeLessThan(7 * DAY);
    expect(await scheduledDelay(19, JUST_UNDER_ONE)).toBeGreaterThan(7 * DAY - 1000);
  });
});
