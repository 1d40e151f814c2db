import fc from "fast-check";
import pino from "pino";
import { DecodeError } from "../errors/DecodeError";
import { EncodeError } from "../errors/EncodeError";
import { MAX_NESTING, nestsDeeperThan } from "../encoding/nestingDepth";
import { Message } from "./Message";
import { MessageProxy } from "./MessageProxy";
import { peekMessageId } from "./peekMessageId";

/** fast-check's runs per property: modest by default, more with FULL=1 (or CHAOS_SCALE=full). */
const NUM_RUNS = process.env.CHAOS_SCALE === "full" || process.env.FULL === "1" ? 2000 : 200;

const PROTOTYPES = [Object.prototype, Array.prototype, Function.prototype, String.prototype, Number.prototype];
const snapshot = () => PROTOTYPES.map((p) => Object.getOwnPropertyNames(p).sort().join(","));
const before = snapshot();

afterEach(() => {
  // Every property below ran through decode/encode/copy: not one prototype may have changed.
  expect(snapshot()).toEqual(before);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

const ID = "25011133-8b48-4f97-a0e4-4148e3c4a33f";

function validDict(changes: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    queue_name: "default",
    actor_name: "add",
    args: [1, 2],
    kwargs: {},
    options: {},
    message_id: ID,
    message_timestamp: 1795246445586,
    ...changes,
  };
}

/** Decodes, and says how: a Message, or the DecodeError (anything else thrown fails the test). */
function outcome(data: Buffer): Message | DecodeError {
  try {
    return Message.decode(data);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    return error;
  }
}

const dangerousKey = fc.constantFrom("__proto__", "constructor", "prototype", "polluted", "toString", "hasOwnProperty");
/** JSON values whose objects are full of prototype-related keys, e.g. {"__proto__":{"polluted":1}}. */
const pollutingValue = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, fc.jsonValue({ maxDepth: 1 }), tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 3 }),
  object: fc.dictionary(fc.oneof(dangerousKey, fc.string({ maxLength: 4 })), tie("value"), { maxKeys: 4 }),
})).value;

describe("Message.decode on bad input", () => {
  it("throws only DecodeError on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        outcome(Buffer.from(bytes));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("throws DecodeError on every truncation of a valid message", () => {
    const full = Buffer.from(JSON.stringify(validDict({ args: [1, "é", { a: [null, true] }] })));
    expect(outcome(full)).toBeInstanceOf(Message);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: full.length - 1 }), (cut) => {
        expect(outcome(full.subarray(0, cut))).toBeInstanceOf(DecodeError);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("throws DecodeError naming the field, with the message id, when a field has the wrong type", () => {
    const wrongTypes: Record<string, fc.Arbitrary<unknown>> = {
      queue_name: fc.oneof(fc.integer(), fc.constant(null), fc.array(fc.string())),
      actor_name: fc.oneof(fc.integer(), fc.constant(null), fc.boolean(), fc.dictionary(fc.string(), fc.string())),
      args: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.dictionary(fc.string(), fc.integer())),
      kwargs: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.integer())),
      options: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.integer())),
      message_timestamp: fc.oneof(fc.string(), fc.boolean(), fc.array(fc.integer())),
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(wrongTypes)).chain((field) => fc.tuple(fc.constant(field), wrongTypes[field]!)),
        ([field, value]) => {
          const error = outcome(Buffer.from(JSON.stringify(validDict({ [field]: value }))));
          expect(error).toBeInstanceOf(DecodeError);
          expect((error as DecodeError).message).toContain(field);
          expect((error as DecodeError).messageId).toBe(ID);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("rejects a non-string message_id without taking it as the id", () => {
    for (const bad of [1, true, [ID], { id: ID }]) {
      const error = outcome(Buffer.from(JSON.stringify(validDict({ message_id: bad }))));
      expect(error).toBeInstanceOf(DecodeError);
      expect((error as DecodeError).messageId).toBeUndefined();
    }
  });

  it("throws DecodeError on invalid UTF-8 anywhere in an otherwise valid message", () => {
    const text = JSON.stringify(validDict({ args: ["xxxxxxxx"] }));
    const at = text.indexOf("xxxxxxxx");
    fc.assert(
      fc.property(
        fc.constantFrom([0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf8, 0x88, 0x80, 0x80, 0x80]),
        fc.integer({ min: 0, max: 7 }),
        (bad, offset) => {
          const bytes = Buffer.concat([Buffer.from(text.slice(0, at + offset)), Buffer.from(bad), Buffer.from(text.slice(at + offset))]);
          const error = outcome(bytes);
          expect(error).toBeInstanceOf(DecodeError);
          expect((error as DecodeError).data).toBe(bytes);
          // Read from where Dramatiq writes it, for the log line.
          expect((error as DecodeError).messageId).toBe(ID);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("takes __proto__, constructor and prototype keys in args, kwargs and options as plain data", () => {
    fc.assert(
      fc.property(
        fc.array(pollutingValue, { maxLength: 3 }),
        fc.dictionary(fc.oneof(dangerousKey, fc.string({ maxLength: 4 })), pollutingValue, { maxKeys: 4 }),
        fc.dictionary(fc.oneof(dangerousKey, fc.string({ maxLength: 4 })), pollutingValue, { maxKeys: 4 }),
        (args, kwargs, options) => {
          // JSON.stringify writes an own "__proto__" key as a key (fast-check builds them with defineProperty).
          const bytes = Buffer.from(JSON.stringify(validDict({ args, kwargs, options })));
          const message = Message.decode(bytes);
          expect(Object.getPrototypeOf(message.kwargs)).toBe(Object.prototype);
          expect(Object.getPrototypeOf(message.options)).toBe(Object.prototype);
          expect(Object.keys(message.kwargs).sort()).toEqual(Object.keys(kwargs).sort());
          // What the worker does with it: a working copy of the options, a re-encode, a log line.
          const proxy = new MessageProxy(message, "default", bytes);
          proxy.options.retries = 1;
          expect(Object.getPrototypeOf(proxy.options)).toBe(Object.prototype);
          const again = Message.decode(proxy.toMessage().encode());
          expect(Object.keys(again.options).sort()).toEqual([...new Set([...Object.keys(options), "retries"])].sort());
          expect(again.toDict().kwargs).toEqual(message.toDict().kwargs);
          expect(typeof String(message)).toBe("string");
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("rejects __proto__, constructor and prototype as top-level keys, with the message id", () => {
    for (const key of ["__proto__", "constructor", "prototype"]) {
      const text = JSON.stringify(validDict()).replace(/^\{/, `{"${key}":{"polluted":1},`);
      const error = outcome(Buffer.from(text));
      expect(error).toBeInstanceOf(DecodeError);
      expect((error as DecodeError).message).toContain(`unknown message field(s): ${key}`);
      expect((error as DecodeError).messageId).toBe(ID);
    }
  });

  it("does not count a polluted Object.prototype as a message's fields", () => {
    const text = JSON.stringify({ queue_name: "default", actor_name: "add", message_id: ID });
    Object.defineProperty(Object.prototype, "args", { value: [], configurable: true });
    Object.defineProperty(Object.prototype, "kwargs", { value: {}, configurable: true });
    Object.defineProperty(Object.prototype, "options", { value: {}, configurable: true });
    try {
      const error = outcome(Buffer.from(text));
      expect(error).toBeInstanceOf(DecodeError);
      expect((error as DecodeError).message).toContain("missing message field(s): args, kwargs, options");
    } finally {
      for (const key of ["args", "kwargs", "options"]) delete (Object.prototype as Record<string, unknown>)[key];
    }
  });

  it(`decodes ${MAX_NESTING} levels of nesting and rejects one more, and 100k levels, with DecodeError`, () => {
    const nested = (n: number) => "[".repeat(n) + "]".repeat(n);
    const at = (n: number, extra = "") => Buffer.from(JSON.stringify(validDict()).replace('"args":[1,2]', `"args":[${nested(n)}${extra}]`));
    // args itself is one level, so the deepest value allowed inside it is MAX_NESTING - 2 (the message object is one more).
    expect(outcome(at(MAX_NESTING - 2))).toBeInstanceOf(Message);
    expect(outcome(at(MAX_NESTING - 2, ",NaN"))).toBeInstanceOf(Message);
    for (const n of [MAX_NESTING - 1, 100_000]) {
      for (const extra of ["", ",NaN"]) {
        const error = outcome(at(n, extra));
        expect(error).toBeInstanceOf(DecodeError);
        expect((error as DecodeError).message).toContain(`nested deeper than ${MAX_NESTING} levels`);
      }
    }
    const deep: unknown[] = [];
    let tip = deep;
    for (let i = 0; i < 100_000; i++) tip.push((tip = []));
    expect(() => new Message({ queueName: "default", actorName: "add", args: [deep] }).encode()).toThrow(EncodeError);
  });

  it("counts nesting as a recursive walk does, strings included", () => {
    const depthOf = (v: unknown): number =>
      typeof v === "object" && v !== null ? 1 + Math.max(0, ...Object.values(v as object).map(depthOf)) : 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 8 }), (value, limit) => {
        const text = JSON.stringify(value);
        // Below 2 × limit chars the scan is skipped: such text cannot nest deeper than limit.
        expect(nestsDeeperThan(text, limit)).toBe(depthOf(value) > limit);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("keeps the payload out of a logged DecodeError", () => {
    const payload = Buffer.alloc(1_000_000, "{");
    const error = outcome(payload) as DecodeError;
    expect(error.data).toBe(payload);
    const lines: string[] = [];
    pino({}, { write: (line: string) => void lines.push(line) }).error({ err: error }, error.message);
    // Before the fix the bytes went out as a JSON array of numbers: a 1 MB payload, a 4 MB line.
    expect(lines[0]!.length).toBeLessThan(10_000);
  });
});

describe("peekMessageId", () => {
  it("reads the id of any encoded message, and nothing from bytes without one", () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }), fc.uuid(), (args, id) => {
        const message = new Message({ queueName: "default", actorName: "add", args, messageId: id });
        expect(peekMessageId(message.encode())).toBe(id);
        expect(peekMessageId(Buffer.from(JSON.stringify(args)))).toBeUndefined();
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
