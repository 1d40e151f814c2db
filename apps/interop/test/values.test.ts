/**
 * The values that differ between the languages (docs/compatibility.md#encoding), on both
 * brokers: what each worker sees, and what Python reads back after @q re-encoded the message
 * (a retry, a delay move).
 */
import { EncodeError } from "@q/core";
import { waitFor } from "@q/test-support";
import { BROKERS, type DeadLetter, type Interop, useInterop } from "./interop";
import { py } from "./pyJson";

jest.setTimeout(60_000);

/** Sent by Python: floats with integral values, -0.0, non-finite floats, big ints, astral and lone surrogates. */
const PY_ARGS = py('[1.0, -0.0, NaN, Infinity, -Infinity, 9007199254740993, 12345678901234567890123, 2.5, "\\u00e9\\ud83d\\ude00", "\\ud800", "\\udfff"]');
const PY_KWARGS = py('{"nested": {"f": 1.0, "z": -0.0, "n": NaN, "list": [Infinity, {"deep": "\\ud83d\\ude00"}]}}');
/** What a Python reader gets back once @q has written those values again. */
const BACK_ARGS_REPR = "[1, 0, nan, inf, -inf, 9007199254740992, 1.2345678901234568e+22, 2.5, 'é😀', '\\ud800', '\\udfff']";
const BACK_KWARGS_REPR = "{'nested': {'f': 1, 'z': 0, 'n': nan, 'list': [inf, {'deep': '😀'}]}}";

async function oneDeadLetter(h: Interop): Promise<DeadLetter> {
  const dead = await waitFor("the dead letter", async () => {
    const d = await h.deadLetters();
    return d.length ? d : undefined;
  }, { timeout: 15_000 });
  expect(dead).toHaveLength(1);
  return dead[0]!;
}

describe.each(BROKERS)("%s", (kind) => {
  const h = useInterop(kind);

  it("Python → @q: the worker sees JavaScript's values; after an @q retry 1.0 → 1 and -0.0 → 0 (ints), NaN/Infinity stay tokens, big ints lose precision, surrogates stay", async () => {
    const worker = await h().worker("q", [{ name: "values", fail: -1, options: { min_backoff: 10, max_backoff: 20 } }]);
    await h().send("python", [{ actor: "values", args: PY_ARGS, kwargs: PY_KWARGS, options: py('{"time_limit": Infinity, "max_retries": 1}') }]);

    const dead = await oneDeadLetter(h());
    const [first, second] = worker.received();
    expect(worker.received()).toHaveLength(2);
    expect(first!.args).toEqual([1, -0, NaN, Infinity, -Infinity, 9007199254740992, 1.2345678901234568e22, 2.5, "é😀", "\ud800", "\udfff"]);
    expect(Object.is(first!.args[1], -0)).toBe(true);
    expect(first!.kwargs).toEqual({ nested: { f: 1, z: -0, n: NaN, list: [Infinity, { deep: "😀" }] } });
    expect(first!.options.time_limit).toBe(Infinity);
    // The retry was written by @q: the sign of -0.0 is gone, Infinity is still there.
    expect(Object.is(second!.args[1], 0)).toBe(true);
    expect(second!.options.time_limit).toBe(Infinity);

    expect(dead.args_repr).toBe(BACK_ARGS_REPR);
    expect(dead.kwargs_repr).toBe(BACK_KWARGS_REPR);
    expect(dead.options_repr).toContain("'time_limit': inf");
    expect(dead.bytes).toContain('"args":[1,0,NaN,Infinity,-Infinity,9007199254740992,1.2345678901234568e+22,2.5,"\\u00e9\\ud83d\\ude00","\\ud800","\\udfff"]');
  });

  it("Python → @q: a delayed message moved by @q from .DQ reads back in Python with the same changes", async () => {
    const worker = await h().worker("q", [{ name: "values", fail: -1 }]);
    await h().send("python", [{ actor: "values", args: PY_ARGS, kwargs: PY_KWARGS, delay: 300, options: py('{"time_limit": Infinity, "max_retries": 0}') }]);

    const dead = await oneDeadLetter(h());
    expect(worker.received()).toHaveLength(1);
    expect(dead.message.queueName).toBe(h().queue);
    expect(dead.args_repr).toBe(BACK_ARGS_REPR);
    expect(dead.kwargs_repr).toBe(BACK_KWARGS_REPR);
    expect(dead.options_repr).toContain("'time_limit': inf");
  });

  it("@q → Python: -0 arrives as int 0, 1e21 as a float, unicode and lone surrogates exactly; NaN is refused at send", async () => {
    const worker = await h().worker("python", [{ name: "values" }]);
    const args = [-0, 1, 1.5, 1e21, 2 ** 53 + 1, "é😀", "\ud800", "\udfff"];
    await h().send("q", [{ actor: "values", args, kwargs: { nested: { z: -0, list: [{ deep: "ключ" }] } } }]);
    await expect(h().send("q", [{ actor: "values", args: [NaN] }])).rejects.toThrow(EncodeError);

    const [r] = await waitFor("the run", () => (worker.received().length ? worker.received() : undefined));
    expect(r!.args_repr).toBe("[0, 1, 1.5, 1e+21, 9007199254740992, 'é😀', '\\ud800', '\\udfff']");
    expect(r!.kwargs_repr).toBe("{'nested': {'z': 0, 'list': [{'deep': 'ключ'}]}}");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(worker.received()).toHaveLength(1); // the NaN message never went out
  });
});
