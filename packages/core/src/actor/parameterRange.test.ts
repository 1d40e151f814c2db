/* eslint-disable @typescript-eslint/no-unused-vars -- the parameter lists are what these tests read */
import { parameterRange } from "./parameterRange";

const range = (fn: (...args: any[]) => unknown) => ({ ...parameterRange(fn) });

describe("parameterRange", () => {
  it.each<[string, (...args: any[]) => unknown, number, number]>([
    ["no parameters", function () {}, 0, 0],
    ["plain parameters", function (a: number, b: number) {}, 2, 2],
    ["an arrow with one bare parameter", (a: number) => a, 1, 1],
    ["defaults", function (a: number, b = 1, c = "x") {}, 1, 3],
    ["defaults with commas, parentheses and brackets", function (a: number, b = Math.max(1, 2), c = "),(", d = [1, [2, 3]], e = { f: (g: number, h: number) => g }) {}, 1, 5],
    ["a default that is a function with its own parameters", function (a: number, b = function (x: number, y: number) {}) {}, 1, 2],
    ["a default referring to an earlier parameter", (a: number, b = a * 2) => b, 1, 2],
    ["destructured parameters", function ({ a, b }: { a: number; b: number }, [c, d]: number[]) {}, 2, 2],
    ["a destructured parameter with a default", function (x: number, { a }: { a?: number } = {}) {}, 1, 2],
    ["async functions", async function (a: number, b = 2) {}, 1, 2],
    ["async arrows", async (a: number, b: number) => a + b, 2, 2],
    ["generators", function* (a: number) {}, 1, 1],
    ["a TypeScript optional parameter, which is a plain one at run time", function (a: number, b?: number) {}, 2, 2],
  ])("%s", (_label, fn, min, max) => {
    expect(range(fn)).toEqual({ min, max });
  });

  it("reads methods of objects and classes, computed names and async ones too", () => {
    const key = "computed";
    const obj = {
      method(a: number, b = 1) {},
      async later(a: number) {},
      [key](a: number, b: number, c: number) {},
    };
    class Jobs {
      static run(a: number, b: number, c = 3) {}
      *each(a: number) {}
    }
    expect(range(obj.method)).toEqual({ min: 1, max: 2 });
    expect(range(obj.later)).toEqual({ min: 1, max: 1 });
    expect(range(obj[key])).toEqual({ min: 3, max: 3 });
    expect(range(Jobs.run)).toEqual({ min: 2, max: 3 });
    expect(range(new Jobs().each)).toEqual({ min: 1, max: 1 });
  });

  it("has no upper bound for a rest parameter", () => {
    expect(range((...all: number[]) => all)).toEqual({ min: 0, max: Infinity });
    expect(range(function (a: number, b = 1, ...rest: number[]) {})).toEqual({ min: 1, max: Infinity });
  });

  it("has no upper bound for a function that reads arguments", () => {
    expect(
      range(function (a: number) {
        return arguments.length;
      }),
    ).toEqual({ min: 1, max: Infinity });
  });

  it("has no upper bound, and fn.length as its minimum, for functions that show no parameter list", () => {
    function add(a: number, b: number, c: number) {}
    expect(range(add.bind(null, 1))).toEqual({ min: 2, max: Infinity });
    expect(range(Math.max)).toEqual({ min: 2, max: Infinity });
    expect(range(new Proxy(add, {}))).toEqual({ min: 3, max: Infinity });
    expect(range(class Task {} as never)).toEqual({ min: 0, max: Infinity });
  });
});
