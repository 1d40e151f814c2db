import { describeValue } from "./describeValue";

describe("describeValue", () => {
  it.each<[unknown, string]>([
    ["8", '"8"'],
    [8, "8"],
    [NaN, "NaN"],
    [-Infinity, "-Infinity"],
    [undefined, "undefined"],
    [null, "null"],
    [10n, "10n"],
    [["a", 1], '["a",1]'],
    [{ a: 1 }, '{"a":1}'],
    [new Map(), "a Map"],
    [function named() {}, "a function named"],
    [Object.create(null), "{}"],
  ])("shows %p as %s", (value, shown) => {
    expect(describeValue(value)).toBe(shown);
  });

  it("cuts a long value short", () => {
    const shown = describeValue("x".repeat(500));
    expect(shown).toHaveLength(101);
    expect(shown.endsWith("…")).toBe(true);
  });

  it("survives a cycle", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(describeValue(cycle)).toBe("[object Object]");
  });
});
