/**
 * The property that marks an object as a {@link QError}. `Symbol.for` gives the same symbol
 * in every copy of `@q/core` loaded into one process, so the mark survives a second copy
 * where `instanceof` does not. Its value is the codes of the error's class and of every
 * QError class above it, most specific first.
 */
const BRAND = Symbol.for("@q/core.QError");

/** Codes per class, computed once: a class's chain never changes. */
const chains = new WeakMap<object, readonly string[]>();

/**
 * The code of an error class: `Q_` and its name in upper snake case
 * (`ConnectionClosed` → `Q_CONNECTION_CLOSED`, `QError` → `Q_ERROR`).
 */
function codeOf(name: string): string {
  const snake = name
    .replace(/^Q(?=[A-Z][a-z])/, "") // QError → Error, so the prefix is not doubled
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toUpperCase();
  return `Q_${snake || "ERROR"}`;
}

function chainOf(ctor: abstract new (...args: never[]) => unknown): readonly string[] {
  let chain = chains.get(ctor);
  if (!chain) {
    const codes: string[] = [];
    for (let c: unknown = ctor; typeof c === "function" && c !== Error; c = Object.getPrototypeOf(c)) {
      codes.push(codeOf((c as { name: string }).name));
      if (c === QError) break;
    }
    chain = Object.freeze(codes);
    chains.set(ctor, chain);
  }
  return chain;
}

/**
 * The base class of every error @q raises. Catch `QError` to handle any of them;
 * the original failure, when there is one, is kept in `cause`.
 *
 * Every QError has a `code`: `Q_` and its class name in upper snake case, e.g.
 * `Q_CONNECTION_CLOSED` for {@link ConnectionClosed}, `Q_ERROR` for a plain QError. Subclasses,
 * your own included, get theirs the same way. Codes are stable: a class keeps its code for as
 * long as it keeps its name. Use {@link isQError} rather than `instanceof` where the error may
 * come from another copy of `@q/core` (two versions installed side by side).
 *
 * @example
 * try { await add.send(1n as never) } catch (e) {
 *   if (isQError(e, "Q_ENCODE_ERROR")) console.error(e.code, e.message, e.cause)
 * }
 */
export class QError extends Error {
  /** `Q_` and the class name in upper snake case: `Q_CONNECTION_CLOSED`, `Q_RETRY`, ... */
  readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    const chain = chainOf(new.target);
    this.code = chain[0]!;
    // Not enumerable: it is a mark, not data, and stays out of logs and JSON.
    Object.defineProperty(this, BRAND, { value: chain });
  }
}

/**
 * Whether `value` is a {@link QError}, from this copy of `@q/core` or any other one, checked by
 * a mark every QError carries rather than by `instanceof`. With `code`, also whether it is of
 * the class with that code or a subclass of it: `isQError(e, "Q_CONNECTION_ERROR")` is true for
 * a `ConnectionClosed` as `e instanceof ConnectionError` would be. Name the class as the type
 * argument to read its own fields; the check itself is by code only.
 *
 * @example
 * catch (e) {
 *   if (isQError<ConnectionClosed>(e, "Q_CONNECTION_CLOSED") && e.written === "no") await sendAgainLater();
 *   else if (isQError(e)) console.error(`${e.code}: ${e.message}`);
 * }
 */
export function isQError<E extends QError = QError>(value: unknown, code?: string): value is E {
  if (typeof value !== "object" || value === null) return false;
  const chain = (value as { [BRAND]?: unknown })[BRAND];
  if (!Array.isArray(chain)) return false;
  return code === undefined || chain.includes(code);
}
