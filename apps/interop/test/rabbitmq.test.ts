/** Every case of cases.ts on RabbitMQ, both directions, against the real Python Dramatiq. */
import { CASES, runCase } from "./cases";
import { DIRECTIONS, useInterop } from "./interop";

jest.setTimeout(60_000);
const h = useInterop("rabbitmq");

describe.each(DIRECTIONS)("RabbitMQ: %s producer → %s worker", (producer, worker) => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => runCase(h(), c, producer, worker));
});
