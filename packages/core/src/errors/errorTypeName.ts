/**
 * The type name of a thrown value, as Dramatiq reports it (the class name): an
 * explicit `name` wins, else the constructor's name, so `class MyError extends Error {}`
 * is "MyError" rather than "Error".
 *
 * @example
 * errorTypeName(new (class Boom extends Error {})()) // "Boom"
 */
export function errorTypeName(error: unknown): string {
  if (error instanceof Error) {
    if (error.name && error.name !== "Error") return error.name;
    return error.constructor?.name || "Error";
  }
  return typeof error;
}
