import { DecodeError } from "../errors/DecodeError";
import { EncodeError } from "../errors/EncodeError";
import { JSONEncoder } from "./JSONEncoder";
import { getEncoder, setEncoder } from "./globalEncoder";
import type { Encoder } from "./Encoder";

const encoder = new JSONEncoder();
const text = (value: unknown) => encoder.encode(value).toString("utf8");

describe("JSONEncoder.encode", () => {
  it("writes compact JSON with no spaces, keys in insertion order", () => {
    expect(text({ b: 1, a: [1, 2, { c: null }], s: "x y" })).toBe('{"b":1,"a":[1,2,{"c":null}],"s":"x y"}');
  });

  it("returns a Buffer of UTF-8 bytes", () => {
    expect(Buffer.isBuffer(encoder.encode({}))).toBe(true);
  });

  it.each([
    ["é", String.raw`"\u00e9"`],
    ["😀", String.raw`"\ud83d\ude00"`],
    ["é😀", String.raw`"\u00e9\ud83d\ude00"`],
    ["\u007f", String.raw`"\u007f"`],
    ["\u0080", String.raw`"\u0080"`],
    ["\u2028\u2029", String.raw`"\u2028\u2029"`],
    ["\uffff", String.raw`"\uffff"`],
    ["日本", String.raw`"\u65e5\u672c"`],
    ["\ud800", String.raw`"\ud800"`], // a lone surrogate, as Python escapes it
  ])("escapes %j as Python's ensure_ascii does: %s", (input, expected) => {
    expect(text(input)).toBe(expected);
  });

  it("uses lowercase hex in escapes, as Python does", () => {
    expect(text("\u00ff\u00ab")).toBe(String.raw`"\u00ff\u00ab"`);
  });

  it("leaves printable ASCII as is and escapes control characters like Python", () => {
    expect(text(" ~azAZ09!#$%&'()*+,-./:;<=>?@[]^_`{|}")).toBe(`" ~azAZ09!#$%&'()*+,-./:;<=>?@[]^_\`{|}"`);
    expect(text('"\\')).toBe(String.raw`"\"\\"`);
    expect(text("\n\r\t\b\f\u0001\u001f")).toBe(String.raw`"\n\r\t\b\f\u0001\u001f"`);
  });

  it("escapes non-ASCII in keys too", () => {
    expect(text({ "clé": 1 })).toBe(String.raw`{"cl\u00e9":1}`);
  });

  it("only ever writes ASCII bytes", () => {
    const bytes = encoder.encode({ s: "mixed é 😀 \u007f \u2028 ascii" });
    expect([...bytes].every((b) => b < 0x7f)).toBe(true);
  });

  it("writes numbers the way JSON.stringify does", () => {
    expect(text([0, -1, 1.5, 1e21, 1e-7, 2 ** 53])).toBe("[0,-1,1.5,1e+21,1e-7,9007199254740992]");
  });

  it("writes NaN, Infinity and -Infinity as Python's json.dumps does, not as null", () => {
    expect(text({ args: [NaN, Infinity, -Infinity, null], options: { time_limit: Infinity } })).toBe(
      '{"args":[NaN,Infinity,-Infinity,null],"options":{"time_limit":Infinity}}',
    );
    expect(encoder.encodeText([NaN, "é"])).toBe(String.raw`[NaN,"\u00e9"]`);
  });

  it("writes back exactly the Python bytes it read", () => {
    const python = String.raw`{"args":[NaN,Infinity,-Infinity,"\u00e9",1.5,null],"options":{"time_limit":Infinity}}`;
    expect(text(encoder.decode(Buffer.from(python)))).toBe(python);
  });

  /** What `fn` throws. */
  function thrown(fn: () => unknown): Error {
    try {
      fn();
    } catch (error) {
      return error as Error;
    }
    throw new Error("expected a throw");
  }

  it("throws EncodeError on a value JSON cannot encode at all", () => {
    expect(thrown(() => encoder.encode(undefined))).toMatchObject({
      code: "Q_ENCODE_ERROR",
      message: "The value cannot be encoded as JSON: JSON has no undefined.",
    });
    expect(thrown(() => encoder.encode(() => 1))).toMatchObject({
      code: "Q_ENCODE_ERROR",
      message: "The value cannot be encoded as JSON: JSON has no function.",
    });
    expect(thrown(() => encoder.encodeText(undefined))).toBeInstanceOf(EncodeError);
  });

  it("throws EncodeError on a BigInt or a cycle, with JSON.stringify's error as the cause", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const value of [{ n: 1n }, cycle, [NaN, { n: 2n }]]) {
      const error = thrown(() => encoder.encode(value));
      expect(error).toBeInstanceOf(EncodeError);
      expect(error.cause).toBeInstanceOf(TypeError);
      expect(error.message).toBe(`The value cannot be encoded as JSON: ${(error.cause as Error).message}`);
    }
  });
});

describe("JSONEncoder.encodeText", () => {
  it("is the text of exactly the bytes encode writes, escapes included", () => {
    const value = { s: "mixed é 😀 \u007f \u2028 \ud800 ascii", n: [1, 2.5], k: { "clé": null } };
    const text = encoder.encodeText(value);
    expect(Buffer.from(text, "utf8").equals(encoder.encode(value))).toBe(true);
    expect([...text].every((c) => c.charCodeAt(0) < 0x7f)).toBe(true);
  });
});

describe("JSONEncoder.decode", () => {
  it("reads what it wrote, escapes included", () => {
    const value = { s: "é😀\u007f\u2028", n: [1, 2.5, -3], o: { x: null, t: true, f: false } };
    expect(encoder.decode(encoder.encode(value))).toEqual(value);
  });

  it("reads raw (unescaped) UTF-8, which other producers may write", () => {
    expect(encoder.decode(Buffer.from('{"s":"é😀"}', "utf8"))).toEqual({ s: "é😀" });
  });

  it("reads Python's NaN and Infinity tokens", () => {
    expect(encoder.decode(Buffer.from('{"a":NaN,"b":[Infinity,-Infinity]}'))).toEqual({ a: NaN, b: [Infinity, -Infinity] });
  });

  /** What `encoder.decode(data)` throws. */
  function decodeFailure(data: Buffer): DecodeError {
    try {
      encoder.decode(data);
    } catch (error) {
      return error as DecodeError;
    }
    throw new Error("expected decode to throw");
  }

  it("rejects invalid UTF-8 instead of substituting U+FFFD, with a DecodeError holding the bytes", () => {
    for (const bytes of [[0x22, 0xff, 0x22], [0x22, 0xe2, 0x82, 0x22] /* truncated sequence */]) {
      const data = Buffer.from(bytes);
      const error = decodeFailure(data);
      expect(error).toBeInstanceOf(DecodeError);
      expect(error.data).toBe(data);
      // TextDecoder's error comes from another realm under jest: compare by name.
      expect((error.cause as Error).name).toBe("TypeError");
      expect(error.message).toBe((error.cause as Error).message);
    }
  });

  it("rejects text that is not JSON with a DecodeError whose cause is the parse error", () => {
    for (const text of ["{", "{'a': 1}"]) {
      const data = Buffer.from(text);
      const error = decodeFailure(data);
      expect(error).toBeInstanceOf(DecodeError);
      expect(error).toMatchObject({ code: "Q_DECODE_ERROR", data });
      expect(error.cause).toBeInstanceOf(SyntaxError);
      expect(error.message).toBe((error.cause as Error).message);
    }
  });
});

describe("the global encoder", () => {
  it("is a JSONEncoder by default and can be replaced", () => {
    const original = getEncoder();
    expect(original).toBeInstanceOf(JSONEncoder);
    const custom: Encoder = { encode: () => Buffer.from("x"), decode: () => ({}) };
    try {
      setEncoder(custom);
      expect(getEncoder()).toBe(custom);
    } finally {
      setEncoder(original);
    }
    expect(getEncoder()).toBe(original);
  });
});
