import { uuid4 } from "./uuid4";

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("uuid4", () => {
  it("makes version-4, RFC 4122 variant ids in the canonical lower-case form", () => {
    for (let i = 0; i < 2000; i++) expect(uuid4()).toMatch(UUID4);
  });

  it("never repeats, also across refills of its random pool", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) seen.add(uuid4());
    expect(seen.size).toBe(5000);
  });

  it("uses every hex digit in the random positions (the bytes are really random)", () => {
    const digits = new Set<string>();
    for (let i = 0; i < 200; i++) for (const c of uuid4().replace(/-/g, "").slice(13)) digits.add(c);
    expect([...digits].sort().join("")).toBe("0123456789abcdef");
  });
});
