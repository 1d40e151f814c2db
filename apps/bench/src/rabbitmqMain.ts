/**
 * The RabbitMQ benchmark CLI (`pnpm --filter @q/bench bench:rabbitmq`): @q's RabbitMQ
 * broker against a plain amqplib publish/consume loop with the same durability
 * settings. Prints the table on stdout, progress on stderr. See README.md.
 *
 *     node dist/rabbitmqMain.js --n 20000 --repeats 3 --confirms both --concurrency 1,10,100
 */
import fs from "node:fs";
import { parseArgs } from "node:util";
import { defaultRabbitLauncher, formatRabbitReport, runRabbitBench } from "./rabbitmq/runRabbitBench";

const USAGE = `Usage: node dist/rabbitmqMain.js [options]
  --n <messages>       messages per publish / drain (default 20000)
  --concurrency <list> drain concurrencies, comma-separated; prefetch is 2 × each on
                       both sides (default 1,10,100)
  --repeats <r>        runs per side, mode and concurrency; median (min–max) reported (default 3)
  --confirms <mode>    off | on | both (default both)
  --amqp-url <url>     default $AMQP_URL or amqp://guest:guest@127.0.0.1:5672
  --json <file>        also write the report as JSON
  -h, --help`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv[2] === "--" ? process.argv.slice(3) : process.argv.slice(2),
    options: {
      n: { type: "string" },
      concurrency: { type: "string" },
      repeats: { type: "string" },
      confirms: { type: "string" },
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
  const int = (name: string, raw: string | undefined, fallback: number) => {
    if (raw === undefined) return fallback;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer, got ${raw}`);
    return v;
  };
  const confirms = values.confirms ?? "both";
  if (!["off", "on", "both"].includes(confirms)) throw new Error(`--confirms must be off, on or both, got ${confirms}`);
  const report = await runRabbitBench({
    url: values["amqp-url"] ?? process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672",
    n: int("n", values.n, 20_000),
    concurrencies: (values.concurrency ?? "1,10,100").split(",").map((c) => int("concurrency", c.trim(), 0)),
    repeats: int("repeats", values.repeats, 3),
    confirmModes: confirms === "both" ? [false, true] : [confirms === "on"],
    launcher: defaultRabbitLauncher(),
    timeoutMs: 300_000,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${formatRabbitReport(report)}\n`);
  if (values.json) fs.writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
