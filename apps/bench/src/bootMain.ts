/**
 * The boot benchmark CLI (`pnpm --filter @q/bench bench:boot`): the real `q` CLI's spawn →
 * "ready for action" against `node -e ""` (the floor) and, with a Python that has Dramatiq
 * (`--python` or INTEROP_PYTHON), the `dramatiq` CLI. Table on stdout, progress on stderr.
 *
 *     node dist/bootMain.js --repeats 7 --python "$(bash tooling/scripts/python-env.sh)"
 */
import fs from "node:fs";
import { parseArgs } from "node:util";
import { bootOptions, formatBoot, runBoot } from "./boot/runBoot";

const USAGE = `Usage: node dist/bootMain.js [options]
  --repeats <r>       spawns per contestant, interleaved; median/min/max reported (default 5)
  --python <path>     a Python with dramatiq + redis (default $INTEROP_PYTHON); adds the dramatiq row
  --redis-url <url>   default $REDIS_URL or redis://127.0.0.1:6379
  --json <file>       also write the report as JSON
  -h, --help`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv[2] === "--" ? process.argv.slice(3) : process.argv.slice(2),
    options: {
      repeats: { type: "string" },
      python: { type: "string" },
      "redis-url": { type: "string" },
      json: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const repeats = Number(values.repeats ?? 5);
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats must be a positive integer, got ${values.repeats}`);
  const overrides: Parameters<typeof bootOptions>[0] = { repeats };
  if (values.python) overrides.python = values.python;
  if (values["redis-url"]) overrides.redisUrl = values["redis-url"];
  const report = await runBoot(bootOptions(overrides));
  process.stdout.write(`${formatBoot(report)}\n`);
  if (values.json) fs.writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
