#!/usr/bin/env node
import { INSPECT_COMMANDS } from "./inspect/inspectCommands";
import { SpareChild } from "./supervisor/SpareChild";

const argv = process.argv.slice(2);
// Fork the first worker process before loading the rest (yargs, pino): its own start
// then overlaps with the supervisor's. Not for what starts no worker (help, version, the
// inspection commands).
const startsNoWorker = argv.length === 0 || INSPECT_COMMANDS.has(argv[0]!) || argv.some((a) => a === "--help" || a === "-h" || a === "--version");
const spare = startsNoWorker ? undefined : SpareChild.fork();
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the fork on purpose
const { main } = require("./main") as typeof import("./main");

main(argv, process.env, spare).then(
  (code) => process.exit(code),
  (error: unknown) => {
    spare?.discard();
    process.stderr.write(`q: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(2);
  },
);
