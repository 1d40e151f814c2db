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
  const problem = findProblem(value);
  if (problem) {
    // The path is built only on failure: sends are checked on the hot path.
    const where = problem.at.reverse().map((k) => (typeof k === "number" ? `[${k}]` : `.${k}`)).join("");
    throw new EncodeError(`${path}${where} ${problem.what}`);
  }
}

/**
 * The objects being walked, root first: a short stack finds cycles without a Set.
 * Shared by every call (the walk is synchronous), so a send allocates none.
 */
const parents: object[] = [];

interface Problem {
  /** Keys from the bad value up to the root (reversed on report). */
  at: (string | number)[];
  what: string;
}

function findProblem(value: unknown): Problem | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : { at: [], what: `is ${value}, which JSON turns into null` };
    case "bigint":
      return { at: [], what: "is a bigint, which JSON cannot carry (send it as a string)" };
    case "undefined":
      return { at: [], what: "is undefined, which JSON drops or turns into null (use null)" };
    case "function":
      return { at: [], what: "is a function, which cannot be sent in a message" };
    case "symbol":
      return { at: [], what: "is a symbol, which cannot be sent in a message" };
  }
  if (value === null) return undefined;
  const obj = value as object;
  if (parents.includes(obj)) return { at: [], what: "refers back to itself (a cycle), which JSON cannot carry" };
  parents.push(obj);
  try {
    if (Array.isArray(obj)) {
      for (let i = 0; i < obj.length; i++) {
        if (!(i in obj)) return { at: [i], what: "is a hole in a sparse array, which JSON turns into null" };
        const problem = findProblem(obj[i]);
        if (problem) return problem.at.push(i), problem;
      }
      return undefined;
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (obj.constructor as { name?: string } | undefined)?.name || "class instance";
      return { at: [], what: `is a ${kind}, which does not survive JSON (send plain objects, arrays and primitives)` };
    }
    for (const key in obj) {
      if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
      const v = (obj as Record<string, unknown>)[key];
      // An undefined property is dropped by JSON, which is what an absent optional property means.
      if (v === undefined) continue;
      const problem = findProblem(v);
      if (problem) return problem.at.push(key), problem;
    }
    if (Object.getOwnPropertySymbols(obj).length > 0) return { at: [], what: "has symbol keys, which JSON drops" };
    return undefined;
  } finally {
    parents.pop();
  }
}
