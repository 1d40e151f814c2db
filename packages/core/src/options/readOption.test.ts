import type { Actor } from "../actor/Actor";
import { readOption } from "./readOption";

/** Just enough of an actor for readOption: its declared (camelCase) options. */
function fakeActor(options: Record<string, unknown>): Actor<any, any> {
  return { options } as unknown as Actor<any, any>;
}

describe("readOption", () => {
  it("prefers the message's option, read by its snake_case wire key", () => {
    expect(readOption({ max_retries: 1 }, fakeActor({ maxRetries: 2 }), "maxRetries", 20)).toBe(1);
  });

  it("does not read a camelCase key from the message", () => {
    expect(readOption({ maxRetries: 1 }, fakeActor({}), "maxRetries", 20)).toBe(20);
  });

  it("falls back to the actor's camelCase option", () => {
    expect(readOption({}, fakeActor({ maxRetries: 2 }), "maxRetries", 20)).toBe(2);
  });

  it("falls back to the default when neither has it, or there is no actor", () => {
    expect(readOption({}, fakeActor({}), "maxRetries", 20)).toBe(20);
    expect(readOption({}, undefined, "maxRetries", 20)).toBe(20);
  });

  it("counts a present null (null means none, e.g. retry forever)", () => {
    expect(readOption({ max_retries: null }, fakeActor({ maxRetries: 2 }), "maxRetries", 20)).toBeNull();
    expect(readOption({}, fakeActor({ maxRetries: null }), "maxRetries", 20)).toBeNull();
  });

  it("skips an undefined value at either level", () => {
    expect(readOption({ max_retries: undefined }, fakeActor({ maxRetries: 2 }), "maxRetries", 20)).toBe(2);
    expect(readOption({}, fakeActor({ maxRetries: undefined }), "maxRetries", 20)).toBe(20);
  });

  it("counts falsy values that are present (0, false)", () => {
    expect(readOption({ min_backoff: 0 }, fakeActor({ minBackoff: 100 }), "minBackoff", 15_000)).toBe(0);
    expect(readOption({}, fakeActor({ notifyShutdown: false }), "notifyShutdown", true)).toBe(false);
  });
});
