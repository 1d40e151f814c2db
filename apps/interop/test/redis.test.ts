/** Every case of cases.ts on Redis, both directions, against the real Python Dramatiq. */
import { CASES, runCase } from "./cases";
import { DIRECTIONS, useInterop } from "./interop";

jest.setTimeout(60_000);
const h = useInterop("redis");

describe.each(DIRECTIONS)("Redis: %s producer → %s worker", (producer, worker) => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => runCase(h(), c, producer, worker));
});
