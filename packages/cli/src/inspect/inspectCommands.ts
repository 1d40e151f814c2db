/**
 * The first words that make `q` an inspection command rather than a worker run. A module of
 * its own, without imports: the binary reads it before it loads anything else.
 */
export const INSPECT_COMMANDS: ReadonlySet<string> = new Set(["queues", "dlq", "message"]);
