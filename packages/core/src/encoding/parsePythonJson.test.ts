import { parsePythonJson } from "./parsePythonJson";

describe("parsePythonJson", () => {
  it.each([
    '{"a":1,"b":[true,false,null],"c":"s"}',
    "[]",
    "{}",
    '"text"',
    "-0.5e-3",
    ' \n\t{ "a" : [ 1 , 2 ] } \r\n',
  ])("reads standard JSON exactly as JSON.parse does: %s", (input) => {
    expect(parsePythonJson(input)).toEqual(JSON.parse(input));
  });

  it.each([
    ["NaN", NaN],
    ["Infinity", Infinity],
    ["-Infinity", -Infinity],
  ])("reads the bare token %s at the top level", (input, expected) => {
    expect(parsePythonJson(input)).toBe(expected);
  });

  it("reads the tokens inside nested arrays and objects", () => {
    const value = parsePythonJson('{"options":{"time_limit":Infinity},"args":[[NaN,{"x":-Infinity}],1]}');
    expect(value).toEqual({ options: { time_limit: Infinity }, args: [[NaN, { x: -Infinity }], 1] });
  });

  it("reads the tokens surrounded by Python's default (spaced) separators and other whitespace", () => {
    expect(parsePythonJson('{"a": NaN, "b": [Infinity, -Infinity]}')).toEqual({ a: NaN, b: [Infinity, -Infinity] });
    expect(parsePythonJson("[\n  NaN ,\r\n\t-Infinity\n]")).toEqual([NaN, -Infinity]);
  });

  it("keeps the words inside strings as strings, alongside real tokens", () => {
    expect(parsePythonJson('["NaN","Infinity","-Infinity"]')).toEqual(["NaN", "Infinity", "-Infinity"]);
    expect(parsePythonJson('["NaN",NaN,"-Infinity",{"Infinity":Infinity}]')).toEqual(["NaN", NaN, "-Infinity", { Infinity: Infinity }]);
  });

  it("handles escapes in strings when the fallback parser reads them", () => {
    const value = parsePythonJson(String.raw`["a\"NaN\"b","\\","\u00e9\ud83d\ude00","\n",NaN]`);
    expect(value).toEqual(['a"NaN"b', "\\", "é😀", "\n", NaN]);
  });

  it("reads numbers and literals in the fallback parser", () => {
    expect(parsePythonJson("[NaN,0,-1,1.25,1e+20,1E-7,-0.5,true,false,null,{}, []]")).toEqual([
      NaN, 0, -1, 1.25, 1e20, 1e-7, -0.5, true, false, null, {}, [],
    ]);
  });

  it("keeps the first position of a duplicate key and the last value, like JSON.parse", () => {
    const value = parsePythonJson('{"a":1,"b":NaN,"a":2}') as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(Object.keys(JSON.parse('{"a":1,"b":0,"a":2}')));
    expect(value.a).toBe(2);
  });

  it("makes a __proto__ key an own data property, not the prototype", () => {
    const value = parsePythonJson('{"__proto__":{"polluted":true},"n":NaN}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(["__proto__", "n"]);
    expect(Object.getOwnPropertyDescriptor(value, "__proto__")?.value).toEqual({ polluted: true });
    expect(value.polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    "nan",
    "NaNa",
    "-NaN",
    "+Infinity",
    "Infinit",
    "[NaN,]",
    "[NaN",
    '{"a":NaN',
    '{"a" NaN}',
    "{NaN:1}",
    '{"a":NaN,}',
    "NaN NaN",
    '["NaN',
    "[NaN,01]",
    "[NaN,.5]",
    "[NaN,undefined]",
    "['x',NaN]",
  ])("rejects malformed input: %s", (input) => {
    expect(() => parsePythonJson(input)).toThrow(SyntaxError);
  });

  it("rejects raw control characters inside strings in the fallback parser, like Python's strict mode", () => {
    expect(() => parsePythonJson('["a\nb",NaN]')).toThrow(SyntaxError);
  });

  it("rethrows the native error for invalid JSON without the tokens", () => {
    expect(() => parsePythonJson("{")).toThrow(SyntaxError);
  });
});
