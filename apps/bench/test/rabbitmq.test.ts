// Runs the RabbitMQ benchmark at a tiny size against the real RabbitMQ, so CI keeps it
// working: both sides publish and drain exactly N messages in both confirm modes, and
// the report has the expected shape. Speed is never asserted.
import path from "node:path";
import * as amqp from "amqplib";
import { type RabbitBenchReport, formatRabbitReport, runRabbitBench } from "../src/rabbitmq/runRabbitBench";

const AMQP_URL = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const N = 200;

jest.setTimeout(120_000);

let report: RabbitBenchReport;
const progress: string[] = [];

beforeAll(async () => {
  try {
    await (await amqp.connect(AMQP_URL)).close();
  } catch (error) {
    throw new Error(`RabbitMQ is not reachable at ${AMQP_URL}: run bash tooling/scripts/services.sh rabbitmq`, { cause: error });
  }
  report = await runRabbitBench({
    url: AMQP_URL,
    n: N,
    concurrency: 20,
    repeats: 1,
    confirmModes: [false, true],
    launcher: {
      entry: path.join(__dirname, "..", "src", "rabbitmq", "rabbitChild.ts"),
      execArgv: ["-r", path.join(__dirname, "support", "register-ts.cjs")],
    },
    timeoutMs: 60_000,
    log: (line) => progress.push(line),
  });
});

test("each side publishes and drains N messages in both confirm modes", () => {
  expect(report.runs).toHaveLength(2 /* sides */ * 2 /* modes */ * 2 /* scenarios */);
  for (const run of report.runs) {
    expect(run.elapsedMs).toBeGreaterThan(0);
    expect(run.rate).toBeCloseTo((N / run.elapsedMs) * 1000);
  }
  expect(progress).toHaveLength(4);
});

test("the summary compares @q with the plain amqplib loop per scenario and mode", () => {
  expect(report.summary.map((s) => `${s.scenario}/${s.confirm}`)).toEqual(["publish/false", "publish/true", "drain/false", "drain/true"]);
  for (const s of report.summary) expect(s.ratio).toBeCloseTo(s.q / s.amqplib);
  const table = formatRabbitReport(report);
  expect(table).toContain("@q ÷ amqplib");
  expect(table.split("\n")).toHaveLength(2 + 4);
});
