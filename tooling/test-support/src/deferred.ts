/** A promise and the function that resolves it. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

/**
 * A promise with its `resolve` handed out (to release an actor a test is holding).
 *
 * @example
 * const gate = deferred();
 * actor(async function held() { await gate.promise; }, { broker });
 * gate.resolve();
 */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
