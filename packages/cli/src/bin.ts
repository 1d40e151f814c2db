#!/usr/bin/env node
import { main } from "./main";

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`q: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(2);
  },
);
