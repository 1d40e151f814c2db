import { EncodeError } from "../errors/EncodeError";

/**
 * Throws {@link EncodeError} unless `value` survives a JSON round trip unchanged:
 * only null, booleans, finite numbers, strings, dense arrays and plain objects
 * (whose values are themselves safe; an `undefined` property is allowed, since JSON
 * drops it and an absent optional property means the same). `path` names the value.
 *
 * @example
 * assertJsonSafe([1, { a: "b" }], "args"); // ok
 * assertJsonSafe([() => 1], "args");        // EncodeError: args[0] is a function, ...
 */
export function assertJsonSafe(value: unknown, path: string): void {
  check(value, path, new Set());
}

function check(value: unknown, path: string, seen: Set<object>): void {
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) fail(path, `is ${value}, which JSON turns into null`);
      return;
    case "bigint":
      return fail(path, "is a bigint, which JSON cannot carry (send it as a string)");
    case "undefined":
      return fail(path, "is undefined, which JSON drops or turns into null (use null)");
    case "function":
      return fail(path, "is a function, which cannot be sent in a message");
    case "symbol":
      return fail(path, "is a symbol, which cannot be sent in a message");
  }
  if (value === null) return;
  const obj = value as object;
  if (seen.has(obj)) fail(path, "refers back to itself (a cycle), which JSON cannot carry");
  seen.add(obj);
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) {
      if (!(i in obj)) fail(`${path}[${i}]`, "is a hole in a sparse array, which JSON turns into null");
      check(obj[i], `${path}[${i}]`, seen);
    }
  } else {
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (obj.constructor as { name?: string } | undefined)?.name || "class instance";
      fail(path, `is a ${kind}, which does not survive JSON (send plain objects, arrays and primitives)`);
    }
    for (const key of Object.keys(obj)) {
      const v = (obj as Record<string, unknown>)[key];
      // An undefined property is dropped by JSON, which is what an absent optional property means.
      if (v !== undefined) check(v, `${path}.${key}`, seen);
    }
    if (Object.getOwnPropertySymbols(obj).length > 0) fail(path, "has symbol keys, which JSON drops");
  }
  seen.delete(obj);
}

function fail(path: string, what: string): never {
  throw new EncodeError(`${path} ${what}`);
}
