import { actor, Worker, Retry } from "@q/core";
import pino from "pino";
import { StubBroker } from "../src";

test("smoke: a sent message runs, a failing one retries then dead-letters", async () => {
  const broker = new StubBroker({ logger: pino({ level: "silent" }) });
  const seen: number[] = [];
  const add = actor(function add(a: number, b: number) { seen.push(a + b); }, { broker });
  let attempts = 0;
  const flaky = actor(function flaky() { attempts++; throw new Retry("again", { delay: 10 }); }, { broker, maxRetries: 2 });
  const worker = new Worker(broker, { timeout: 50 });
  await worker.start();
  await add.send(1, 2);
  await add.sendWithOptions({ args: [3, 4], delay: 50 });
  await flaky.send();
  await expect(broker.join("default", { timeout: 5000 })).rejects.toBeInstanceOf(Retry);
  await worker.stop({ timeout: 1000 });
  expect(seen.sort()).toEqual([3, 7]);
  expect(attempts).toBe(3);
});
