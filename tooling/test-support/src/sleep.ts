/**
 * Resolves after `ms` milliseconds.
 *
 * @example
 * await sleep(100);
 */
export const sleep = (ms: number): Promise<void> => new Promise<void>((resolve) => setTimeout(resolve, ms));
