import { errorTypeName } from "./errorTypeName";
import { Retry } from "./Retry";

describe("errorTypeName", () => {
  it("names a plain Error subclass by its class", () => {
    class Boom extends Error {}
    expect(errorTypeName(new Boom("x"))).toBe("Boom");
  });
  it("prefers an explicit name", () => {
    const e = new Error("x");
    e.name = "Custom";
    expect(errorTypeName(e)).toBe("Custom");
    expect(errorTypeName(new Retry())).toBe("Retry");
  });
  it("names non-errors by their type", () => {
    expect(errorTypeName("oops")).toBe("string");
    expect(errorTypeName(new TypeError("t"))).toBe("TypeError");
  });
});
