import { EncodeError } from "../errors/EncodeError";
import { QError } from "../errors/QError";
import { assertJsonSafe } from "./assertJsonSafe";

/** The EncodeError `assertJsonSafe(value, "args")` throws. */
function failure(value: unknown): EncodeError {
  try {
    assertJsonSafe(value, "args");
  } catch (error) {
    expect(error).toBeInstanceOf(EncodeError);
    return error as EncodeError;
  }
  throw new Error("expected an EncodeError");
}

/** `[first, <hole>, last]`. */
function sparse(first: number, last: number): number[] {
  const list = new Array<number>(3);
  list[0] = first;
  list[2] = last;
  return list;
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe("assertJsonSafe allows", () => {
  it("an undefined object property, which JSON drops like an absent optional one", () => {
    expect(() => assertJsonSafe([{ a: { b: undefined, c: 1 } }], "args")).not.toThrow();
  });
});

describe("assertJsonSafe accepts", () => {
  it.each([
    ["null", null],
    ["booleans", [true, false]],
    ["finite numbers", [0, -0.5, 1e300, Number.MAX_SAFE_INTEGER]],
    ["strings", ["", "é😀"]],
    ["nested plain data", [{ a: [1, { b: "c", d: [null, [true]] }] }, []]],
    ["objects without a prototype", [Object.assign(Object.create(null), { a: 1 })]],
  ])("%s", (_label, value) => {
    expect(() => assertJsonSafe(value, "args")).not.toThrow();
  });

  it("the same object reached twice without a cycle", () => {
    const shared = { a: 1 };
    expect(() => assertJsonSafe([shared, { again: shared }, [shared]], "args")).not.toThrow();
  });
});

describe("assertJsonSafe rejects, naming the path", () => {
  it.each<[string, unknown, string, RegExp]>([
    ["a function", [1, { x: () => 1 }], "args[1].x", /function/],
    ["undefined in an array", [1, undefined], "args[1]", /undefined/],
    ["a hole in a sparse array", [sparse(1, 3)], "args[0][1]", /sparse/],
    ["a BigInt", [{ n: 10n }], "args[0].n", /bigint/],
    ["a Date", [new Date(0)], "args[0]", /Date/],
    ["a Map", [{ m: new Map() }], "args[0].m", /Map/],
    ["a Set", [new Set([1])], "args[0]", /Set/],
    ["a class instance", [1, new Point(1, 2)], "args[1]", /Point/],
    ["a boxed primitive", [new String("s")], "args[0]", /String/],
    ["a Buffer", [Buffer.from("x")], "args[0]", /Buffer/],
    ["a RegExp", [/x/], "args[0]", /RegExp/],
    ["an Error", [new Error("e")], "args[0]", /Error/],
    ["NaN", [NaN], "args[0]", /NaN/],
    ["Infinity", [{ t: Infinity }], "args[0].t", /Infinity/],
    ["-Infinity", [[-Infinity]], "args[0][0]", /-Infinity/],
    ["a symbol value", [Symbol("s")], "args[0]", /symbol/],
    ["symbol keys", [{ [Symbol("k")]: 1 }], "args[0]", /symbol keys/],
  ])("%s", (_label, value, path, what) => {
    const error = failure(value);
    expect(error.message.startsWith(`${path} `)).toBe(true);
    expect(error.message).toMatch(what);
  });

  it("a cycle", () => {
    const a: Record<string, unknown> = { name: "a" };
    a.self = a;
    const error = failure([0, a]);
    expect(error.message).toMatch(/^args\[1\]\.self .*cycle/);
  });

  it("a cycle through an array", () => {
    const list: unknown[] = [1];
    list.push({ back: list });
    expect(failure([list]).message).toMatch(/^args\[0\]\[1\]\.back .*cycle/);
  });

  it("a top-level value, with the path given", () => {
    expect(() => assertJsonSafe(undefined, "kwargs")).toThrow(/^kwargs is undefined/);
    expect(() => assertJsonSafe(new Map(), "options")).toThrow(/^options is a Map/);
  });

  it("with an error that is a QError", () => {
    expect(failure([() => 1])).toBeInstanceOf(QError);
  });
});
