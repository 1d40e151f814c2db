import * as main from "../index";
import * as errors from "./index";

describe("@q/core/errors", () => {
  it("exports every error class of the main entry, the same classes", () => {
    const names = Object.keys(errors);
    expect(names.length).toBeGreaterThan(20);
    for (const name of names) expect(errors[name as keyof typeof errors]).toBe(main[name as keyof typeof main]);
    const mainErrors = Object.keys(main).filter((n) => n === "isQError" || (typeof main[n as keyof typeof main] === "function" && (main[n as keyof typeof main] as { prototype?: unknown }).prototype instanceof Error));
    expect(mainErrors.filter((n) => !names.includes(n))).toEqual([]);
  });
});
