/**
 * The RabbitMQ redelivery CLI (`pnpm --filter @q/bench bench:rabbitmq-redelivery`): how soon
 * a job of a SIGKILLed worker runs again in a fresh worker, @q's RabbitMQ broker against
 * plain amqplib. Prints the table on stdout, progress on stderr. See README.md.
 *
 *     node dist/rabbitmq/redeliveryMain.js --repeats 5 --json results/rabbit-redelivery.json
 */
import fs from "node:fs";
import { parseArgs } from "node:util";
import { defaultRabbitRedeliveryLauncher, formatRabbitRedeliveryReport, runRabbitRedelivery } from "./runRabbitRedelivery";

const USAGE = `Usage: node dist/rabbitmq/redeliveryMain.js [options]
  --repeats <r>      runs per side; medians reported (default 5)
  --job-ms <ms>      how long each job runs; the kill is 50 ms into one (default 200)
  --amqp-url <url>   default $AMQP_URL or amqp://guest:guest@127.0.0.1:5672
  --json <file>      also write the report as JSON
  -h, --help`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv[2] === "--" ? process.argv.slice(3) : process.argv.slice(2),
    options: {
      repeats: { type: "string" },
      "job-ms": { type: "string" },
      "amqp-url": { type: "string" },
      json: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const int = (name: string, raw: string | undefined, fallback: number, min: number) => {
    if (raw === undefined) return fallback;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${raw}`);
    return v;
  };
  const report = await runRabbitRedelivery({
    url: values["amqp-url"] ?? process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672",
    repeats: int("repeats", values.repeats, 5, 1),
    jobMs: int("job-ms", values["job-ms"], 200, 100),
    launcher: defaultRabbitRedeliveryLauncher(),
    timeoutMs: 60_000,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${formatRabbitRedeliveryReport(report)}\n`);
  if (values.json) fs.writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
