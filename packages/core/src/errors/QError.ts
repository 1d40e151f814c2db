/**
 * The base class of every error @q raises. Catch `QError` to handle any of them;
 * the original failure, when there is one, is kept in `cause`.
 *
 * @example
 * try { await add.send(1n as never) } catch (e) { if (e instanceof QError) console.error(e.message, e.cause) }
 */
export class QError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
