import { RecordingBroker } from "../../test/support/RecordingBroker";
import { actor } from "../actor/declareActor";
import { QError } from "../errors/QError";
import { currentSignal } from "./currentSignal";

test("currentSignal() outside any actor throws a QError that says where to call it", () => {
  expect(() => currentSignal()).toThrow(QError);
  expect(() => currentSignal()).toThrow(/call it at the start of the actor function/);
});

test("an inline call gets a signal that never aborts, at its start only", async () => {
  const broker = new RecordingBroker();
  const results: unknown[] = [];
  const job = actor(async function job() {
    results.push(currentSignal());
    await Promise.resolve();
    try {
      currentSignal();
    } catch (error) {
      results.push(error);
    }
  }, { broker });

  await job();
  expect(results).toHaveLength(2);
  expect(results[0]).toBeInstanceOf(AbortSignal);
  expect((results[0] as AbortSignal).aborted).toBe(false);
  expect(results[1]).toBeInstanceOf(QError);
  // The call is over: nothing is left set for code that runs later.
  expect(() => currentSignal()).toThrow(QError);
});

test("a synchronous inline call that throws leaves nothing set", () => {
  const broker = new RecordingBroker();
  const boom = actor(function boom() {
    currentSignal();
    throw new Error("boom");
  }, { broker });
  expect(() => boom()).toThrow("boom");
  expect(() => currentSignal()).toThrow(QError);
});
