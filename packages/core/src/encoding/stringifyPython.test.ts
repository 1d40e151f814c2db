import { parsePythonJson } from "./parsePythonJson";
import { stringifyPython } from "./stringifyPython";

describe("stringifyPython", () => {
  it.each([
    [NaN, "NaN"],
    [Infinity, "Infinity"],
    [-Infinity, "-Infinity"],
  ])("writes the bare value %s as Python's token", (value, expected) => {
    expect(stringifyPython(value)).toBe(expected);
  });

  it("writes the tokens inside arrays and objects, and leaves real nulls alone", () => {
    const value = { args: [NaN, Infinity, -Infinity, null, 1.5], options: { time_limit: Infinity, on_failure: null }, kwargs: { x: [[{ y: NaN }]] } };
    expect(stringifyPython(value)).toBe(
      '{"args":[NaN,Infinity,-Infinity,null,1.5],"options":{"time_limit":Infinity,"on_failure":null},"kwargs":{"x":[[{"y":NaN}]]}}',
    );
  });

  it("round-trips through parsePythonJson", () => {
    const value = { a: [NaN, Infinity, -Infinity, 0, -1e300, "NaN", "Infinity"], b: { c: null } };
    expect(parsePythonJson(stringifyPython(value)!)).toEqual(value);
  });

  it.each([
    ["no null at all", { a: [1, "two", true], b: {} }],
    ["real nulls only", { a: [null, 1], b: { c: null } }],
    ["strings that mention null", { a: "null", b: ["nullable"] }],
    ["dropped undefined properties and functions", { a: undefined, b: 1, c: () => 1 }],
  ])("is exactly JSON.stringify for values without non-finite numbers: %s", (_label, value) => {
    expect(stringifyPython(value)).toBe(JSON.stringify(value));
  });

  it("is undefined where JSON.stringify is", () => {
    expect(stringifyPython(undefined)).toBeUndefined();
    expect(stringifyPython(() => 1)).toBeUndefined();
  });

  it("cannot mistake a string that looks like its internal tag for a number", () => {
    const value = { s: "\u00000:NaN", t: ["\u00000:Infinity", "\u00001:NaN"], n: NaN, ["\u00002:NaN"]: Infinity };
    const text = stringifyPython(value)!;
    expect(text).toBe(String.raw`{"s":"\u00000:NaN","t":["\u00000:Infinity","\u00001:NaN"],"n":NaN,"\u00002:NaN":Infinity}`);
    expect(parsePythonJson(text)).toEqual(value);
  });

  it("follows toJSON as JSON.stringify does, also to a non-finite number", () => {
    const value = { when: new Date(0), odd: { toJSON: () => NaN }, bad: new Date(NaN) };
    expect(stringifyPython(value)).toBe('{"when":"1970-01-01T00:00:00.000Z","odd":NaN,"bad":null}');
  });

  it("writes -0 as 0 and integral floats without a fraction, as JSON.stringify does", () => {
    expect(stringifyPython([-0, 1.0, 2.5, NaN])).toBe("[0,1,2.5,NaN]");
  });
});
