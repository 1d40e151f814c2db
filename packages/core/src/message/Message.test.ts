import { DecodeError } from "../errors/DecodeError";
import { Message } from "./Message";
import type { Encoder } from "../encoding/Encoder";
import { getEncoder, setEncoder } from "../encoding/globalEncoder";

/** Spec 1.2: what Python Dramatiq wrote for `add.send(1, 2)` on Redis. */
const CAPTURED =
  '{"queue_name":"interop_wire","actor_name":"add","args":[1,2],"kwargs":{},"options":{"redis_message_id":"133e14a1-4bb8-4583-9131-6cff1524ba39"},"message_id":"25011133-8b48-4f97-a0e4-4148e3c4a33f","message_timestamp":1795246445586}';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A valid wire dict, as text, with some fields replaced or removed. */
function wire(changes: Record<string, unknown> = {}, remove: string[] = []): Buffer {
  const base: Record<string, unknown> = {
    queue_name: "default",
    actor_name: "add",
    args: [1, 2],
    kwargs: {},
    options: {},
    message_id: "25011133-8b48-4f97-a0e4-4148e3c4a33f",
    message_timestamp: 1795246445586,
    ...changes,
  };
  for (const key of remove) delete base[key];
  return Buffer.from(JSON.stringify(base));
}

function decodeError(data: Buffer): DecodeError {
  try {
    Message.decode(data);
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return error as DecodeError;
  }
  throw new Error(`expected ${data.toString()} not to decode`);
}

describe("Message fields", () => {
  it("has Dramatiq's seven fields in wire order", () => {
    const m = new Message({ queueName: "default", actorName: "add", args: [1, 2] });
    expect(Object.keys(m.toDict())).toEqual([
      "queue_name",
      "actor_name",
      "args",
      "kwargs",
      "options",
      "message_id",
      "message_timestamp",
    ]);
  });

  it("defaults kwargs and options to empty objects and args to an empty array", () => {
    const m = new Message({ queueName: "default", actorName: "ping" });
    expect(m.args).toEqual([]);
    expect(m.kwargs).toEqual({});
    expect(m.options).toEqual({});
  });

  it("generates a UUIDv4 message_id and a ms timestamp taken at construction", () => {
    const before = Date.now();
    const m = new Message({ queueName: "default", actorName: "add" });
    const after = Date.now();
    expect(m.messageId).toMatch(UUID_V4);
    expect(Number.isInteger(m.messageTimestamp)).toBe(true);
    expect(m.messageTimestamp).toBeGreaterThanOrEqual(before);
    expect(m.messageTimestamp).toBeLessThanOrEqual(after);
    expect(new Message({ queueName: "default", actorName: "add" }).messageId).not.toBe(m.messageId);
  });

  it("exposes the timestamp as a Date", () => {
    const m = new Message({ queueName: "default", actorName: "add", messageTimestamp: 1795246445586 });
    expect(m.messageDatetime.toISOString()).toBe(new Date(1795246445586).toISOString());
  });
});

describe("Message.encode", () => {
  it("is byte-identical to the bytes Python Dramatiq wrote for the same message (spec 1.2)", () => {
    const m = new Message({
      queueName: "interop_wire",
      actorName: "add",
      args: [1, 2],
      kwargs: {},
      options: { redis_message_id: "133e14a1-4bb8-4583-9131-6cff1524ba39" },
      messageId: "25011133-8b48-4f97-a0e4-4148e3c4a33f",
      messageTimestamp: 1795246445586,
    });
    const bytes = m.encode();
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(bytes.toString("utf8")).toBe(CAPTURED);
    expect(bytes.equals(Buffer.from(CAPTURED, "utf8"))).toBe(true);
  });

  it("escapes non-ASCII as \\uXXXX like Python's ensure_ascii (astral chars as surrogate pairs, DEL too)", () => {
    const m = new Message({
      queueName: "default",
      actorName: "greet",
      args: ["é😀", "\u007f", "~"],
      messageId: "x",
      messageTimestamp: 1,
    });
    const text = m.encode().toString("latin1");
    expect(text).toContain(String.raw`"args":["\u00e9\ud83d\ude00","\u007f","~"]`);
    expect([...m.encode()].every((byte) => byte >= 0x20 && byte < 0x7f)).toBe(true);
  });

  it("round-trips through decode", () => {
    const m = new Message({
      queueName: "emails",
      actorName: "send_email",
      args: ["ada@example.com", { nested: [1, 2.5, null, true] }],
      kwargs: { subject: "Héllo" },
      options: { max_retries: 3, eta: 1795246445586 },
    });
    const back = Message.decode(m.encode());
    expect(back.toDict()).toEqual(m.toDict());
    expect(back.encode().equals(m.encode())).toBe(true);
  });
});

describe("Message.encodeText", () => {
  const m = new Message({ queueName: "q", actorName: "greet", args: ["é😀"], options: { redis_message_id: "r" } });

  it("gives the text of the very bytes encode writes, with the default encoder", () => {
    const text = m.encodeText();
    expect(typeof text).toBe("string");
    expect(Buffer.from(text as string, "utf8").equals(m.encode())).toBe(true);
  });

  it("falls back to encode's bytes with an encoder that has no text form", () => {
    const bytesOnly: Encoder = { encode: (v) => Buffer.from(`B${JSON.stringify(v)}`), decode: (b) => JSON.parse(b.toString().slice(1)) };
    const previous = getEncoder();
    setEncoder(bytesOnly);
    try {
      const out = m.encodeText();
      expect(Buffer.isBuffer(out)).toBe(true);
      expect((out as Buffer).equals(m.encode())).toBe(true);
    } finally {
      setEncoder(previous);
    }
  });
});

describe("Message.decode", () => {
  it("reads the captured Python bytes", () => {
    const m = Message.decode(Buffer.from(CAPTURED));
    expect(m.queueName).toBe("interop_wire");
    expect(m.actorName).toBe("add");
    expect(m.args).toEqual([1, 2]);
    expect(m.options).toEqual({ redis_message_id: "133e14a1-4bb8-4583-9131-6cff1524ba39" });
    expect(m.messageId).toBe("25011133-8b48-4f97-a0e4-4148e3c4a33f");
    expect(m.messageTimestamp).toBe(1795246445586);
  });

  it("accepts Python's bare NaN, Infinity and -Infinity tokens, nested too", () => {
    const text =
      '{"queue_name":"default","actor_name":"f","args":[NaN,[1,-Infinity],{"a":{"b":[Infinity]}}],' +
      '"kwargs":{"k":-Infinity},"options":{"time_limit":Infinity},"message_id":"m","message_timestamp":1}';
    const m = Message.decode(Buffer.from(text));
    expect(m.options.time_limit).toBe(Infinity);
    expect(m.args[0]).toBeNaN();
    expect(m.args[1]).toEqual([1, -Infinity]);
    expect(m.args[2]).toEqual({ a: { b: [Infinity] } });
    expect(m.kwargs.k).toBe(-Infinity);
  });

  it("re-encodes a Python message's NaN, Infinity and -Infinity as Python's tokens, also in a copy", () => {
    const text =
      '{"queue_name":"default.DQ","actor_name":"f","args":[NaN,Infinity,-Infinity,null],' +
      '"kwargs":{"k":-Infinity},"options":{"time_limit":Infinity,"eta":5},"message_id":"m","message_timestamp":1}';
    const m = Message.decode(Buffer.from(text));
    expect(m.encode().toString()).toBe(text);
    expect(m.encodeText()).toBe(text);
    const moved = m.copy({ queueName: "default", replaceOptions: { time_limit: m.options.time_limit, retries: 1 } });
    expect(moved.encode().toString()).toBe(
      '{"queue_name":"default","actor_name":"f","args":[NaN,Infinity,-Infinity,null],' +
        '"kwargs":{"k":-Infinity},"options":{"time_limit":Infinity,"retries":1},"message_id":"m","message_timestamp":1}',
    );
  });

  it("leaves the words NaN and Infinity inside strings as strings", () => {
    const onlyStrings = Message.decode(wire({ args: ["NaN", "Infinity", "-Infinity"] }));
    expect(onlyStrings.args).toEqual(["NaN", "Infinity", "-Infinity"]);

    const mixed =
      '{"queue_name":"default","actor_name":"f","args":["NaN",NaN,"say \\"Infinity\\"",Infinity],' +
      '"kwargs":{},"options":{},"message_id":"m","message_timestamp":1}';
    const m = Message.decode(Buffer.from(mixed));
    expect(m.args[0]).toBe("NaN");
    expect(m.args[1]).toBeNaN();
    expect(m.args[2]).toBe('say "Infinity"');
    expect(m.args[3]).toBe(Infinity);
  });

  it("rejects an unknown top-level key, naming it", () => {
    const error = decodeError(wire({ extra: 1 }));
    expect(error.message).toContain("extra");
  });

  it.each(["queue_name", "actor_name", "args", "kwargs", "options"])("rejects a message without %s", (key) => {
    const error = decodeError(wire({}, [key]));
    expect(error.message).toContain(key);
  });

  it.each([
    ["queue_name", 1],
    ["queue_name", null],
    ["actor_name", ["add"]],
    ["args", { 0: 1 }],
    ["args", "1,2"],
    ["kwargs", []],
    ["kwargs", null],
    ["options", "x"],
    ["options", []],
    ["message_id", 5],
    ["message_timestamp", "1795246445586"],
  ])("rejects %s of the wrong type (%j)", (key, value) => {
    const error = decodeError(wire({ [key]: value }));
    expect(error.message).toContain(key);
  });

  it("rejects invalid UTF-8 and keeps the bytes and the cause", () => {
    const bad = Buffer.concat([Buffer.from('{"queue_name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const error = decodeError(bad);
    expect(error.data).toBe(bad);
    expect(error.cause).toBeDefined();
  });

  it("rejects UTF-8-encoded surrogates and overlong encodings, as Python does", () => {
    decodeError(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])); // "\ud800" encoded as UTF-8
    decodeError(Buffer.from([0x22, 0xc0, 0xaf, 0x22])); // overlong "/"
  });

  it("rejects bytes that are not JSON", () => {
    decodeError(Buffer.from("not json"));
    decodeError(Buffer.from('{"queue_name":'));
    decodeError(Buffer.from(""));
  });

  it.each(["[]", '"message"', "1", "null", "true", "NaN"])("rejects JSON that is not an object: %s", (text) => {
    decodeError(Buffer.from(text));
  });

  it("generates message_id and message_timestamp when absent", () => {
    const before = Date.now();
    const m = Message.decode(wire({}, ["message_id", "message_timestamp"]));
    expect(m.messageId).toMatch(UUID_V4);
    expect(m.messageTimestamp).toBeGreaterThanOrEqual(before);
    expect(m.messageTimestamp).toBeLessThanOrEqual(Date.now());
  });

  it("treats a null message_id or message_timestamp as absent", () => {
    const m = Message.decode(wire({ message_id: null, message_timestamp: null }));
    expect(m.messageId).toMatch(UUID_V4);
    expect(typeof m.messageTimestamp).toBe("number");
  });

  it("keeps a __proto__ key as data, without polluting prototypes", () => {
    const payloads = [
      '{"queue_name":"q","actor_name":"f","args":[{"__proto__":{"polluted":1}}],"kwargs":{"__proto__":{"polluted":2}},"options":{},"message_id":"m","message_timestamp":1}',
      // The same through the NaN-aware parser.
      '{"queue_name":"q","actor_name":"f","args":[{"__proto__":{"polluted":1}}],"kwargs":{"__proto__":{"polluted":2}},"options":{"time_limit":NaN},"message_id":"m","message_timestamp":1}',
    ];
    for (const text of payloads) {
      const m = Message.decode(Buffer.from(text));
      const arg = m.args[0] as Record<string, unknown>;
      expect(Object.getPrototypeOf(arg)).toBe(Object.prototype);
      expect(Object.getPrototypeOf(m.kwargs)).toBe(Object.prototype);
      expect(Object.keys(m.kwargs)).toEqual(["__proto__"]);
      expect(Object.getOwnPropertyDescriptor(m.kwargs, "__proto__")?.value).toEqual({ polluted: 2 });
      expect(Object.getOwnPropertyDescriptor(arg, "__proto__")?.value).toEqual({ polluted: 1 });
      expect((m.kwargs as { polluted?: unknown }).polluted).toBeUndefined();
      expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
      expect(m.encode().toString()).toContain('"kwargs":{"__proto__":{"polluted":2}}');
    }
  });

  it("rejects a top-level __proto__ key as unknown", () => {
    const text =
      '{"queue_name":"q","actor_name":"f","args":[],"kwargs":{},"options":{},"__proto__":{"args":1}}';
    expect(decodeError(Buffer.from(text)).message).toContain("__proto__");
  });
});

describe("Message immutability", () => {
  it("is frozen, with frozen args, kwargs and options", () => {
    const m = new Message({ queueName: "q", actorName: "f", args: [1], kwargs: { a: 1 }, options: { b: 2 } });
    expect(Object.isFrozen(m)).toBe(true);
    expect(Object.isFrozen(m.args)).toBe(true);
    expect(Object.isFrozen(m.kwargs)).toBe(true);
    expect(Object.isFrozen(m.options)).toBe(true);
  });

  it("throws on assignment in strict mode", () => {
    const m = new Message({ queueName: "q", actorName: "f", args: [1], kwargs: { a: 1 }, options: { b: 2 } });
    const loose = m as unknown as Record<string, any>;
    expect(() => {
      loose.queueName = "other";
    }).toThrow(TypeError);
    expect(() => {
      loose.messageId = "other";
    }).toThrow(TypeError);
    expect(() => {
      loose.args.push(2);
    }).toThrow(TypeError);
    expect(() => {
      loose.kwargs.a = 2;
    }).toThrow(TypeError);
    expect(() => {
      loose.options.c = 3;
    }).toThrow(TypeError);
    expect(m.toDict()).toMatchObject({ queue_name: "q", args: [1], kwargs: { a: 1 }, options: { b: 2 } });
  });

  it("is not changed by later mutation of the objects it was built from", () => {
    const args = [1];
    const kwargs: Record<string, unknown> = { a: 1 };
    const options: Record<string, unknown> = { b: 2 };
    const m = new Message({ queueName: "q", actorName: "f", args, kwargs, options });
    args.push(2);
    kwargs.a = 9;
    options.c = 3;
    expect(m.args).toEqual([1]);
    expect(m.kwargs).toEqual({ a: 1 });
    expect(m.options).toEqual({ b: 2 });
  });

  it("toDict returns a fresh object that is safe to mutate", () => {
    const m = new Message({ queueName: "q", actorName: "f", args: [1], options: { b: 2 } });
    const dict = m.toDict();
    dict.args.push(2);
    dict.options.c = 3;
    expect(m.args).toEqual([1]);
    expect(m.options).toEqual({ b: 2 });
  });
});

describe("Message.copy", () => {
  const original = new Message({
    queueName: "q",
    actorName: "f",
    args: [1],
    options: { a: 1, b: 2 },
    messageId: "id-1",
    messageTimestamp: 1000,
  });

  it("merges options: an overridden key keeps its position, new keys are appended", () => {
    const copy = original.copy({ options: { c: 3, a: 10 } });
    expect(Object.keys(copy.options)).toEqual(["a", "b", "c"]);
    expect(copy.options).toEqual({ a: 10, b: 2, c: 3 });
    expect(copy.encode().toString()).toBe(
      '{"queue_name":"q","actor_name":"f","args":[1],"kwargs":{},"options":{"a":10,"b":2,"c":3},"message_id":"id-1","message_timestamp":1000}',
    );
  });

  it("keeps message_id and message_timestamp", () => {
    const copy = original.copy({ queueName: "q.DQ", options: { eta: 5 } });
    expect(copy.messageId).toBe("id-1");
    expect(copy.messageTimestamp).toBe(1000);
    expect(copy.queueName).toBe("q.DQ");
  });

  it("leaves the original unchanged and returns a new frozen message", () => {
    const copy = original.copy({ args: [2], options: { a: 10 } });
    expect(copy).not.toBe(original);
    expect(Object.isFrozen(copy)).toBe(true);
    expect(original.args).toEqual([1]);
    expect(original.options).toEqual({ a: 1, b: 2 });
  });

  it("with no changes copies every field", () => {
    expect(original.copy({}).toDict()).toEqual(original.toDict());
  });

  it("replaceOptions sets the whole options object", () => {
    const copy = original.copy({ replaceOptions: { z: 1 } });
    expect(copy.options).toEqual({ z: 1 });
  });
});

describe("Message.toString", () => {
  it("reads like a call, as Dramatiq logs messages", () => {
    expect(String(new Message({ queueName: "q", actorName: "add", args: [1, 2] }))).toBe("add(1, 2)");
    expect(String(new Message({ queueName: "q", actorName: "fail", args: ["r"] }))).toBe("fail('r')");
    expect(String(new Message({ queueName: "q", actorName: "f", args: [1], kwargs: { k: 2 } }))).toBe("f(1, k=2)");
    expect(String(new Message({ queueName: "q", actorName: "ping" }))).toBe("ping()");
  });
});
