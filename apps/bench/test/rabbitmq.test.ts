// Runs the RabbitMQ benchmark at a tiny size against the real RabbitMQ, so CI keeps it
// working: both sides publish and drain exactly N messages in both confirm modes at two
// concurrencies, the drains report their RSS, and the report has the expected shape.
// Speed is never asserted.
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
    concurrencies: [1, 20],
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

test("each side publishes and drains N messages in both confirm modes at each concurrency", () => {
  expect(report.runs).toHaveLength(2 /* sides */ * 2 /* modes */ * 2 /* concurrencies */ * 2 /* scenarios */);
  for (const run of report.runs) {
    expect(run.elapsedMs).toBeGreaterThan(0);
    expect(run.rate).toBeCloseTo((N / run.elapsedMs) * 1000);
  }
  expect(progress).toHaveLength(8);
});

test("drains report the consumer's RSS once connected and at the end; publishes do not", () => {
  for (const run of report.runs) {
    if (run.scenario === "drain") {
      expect([1, 20]).toContain(run.concurrency);
      expect(run.rssIdleMb).toBeGreaterThan(0);
      expect(run.rssEndMb).toBeGreaterThan(0);
    } else {
      expect(run.rssIdleMb).toBeUndefined();
    }
  }
});

test("the summary compares @q with the plain amqplib loop per scenario, concurrency and mode", () => {
  expect(report.summary.map((s) => `${s.scenario}${s.concurrency ?? ""}/${s.confirm}`)).toEqual([
    "publish/false",
    "publish/true",
    "drain1/false",
    "drain1/true",
    "drain20/false",
    "drain20/true",
  ]);
  for (const s of report.summary) {
    expect(s.ratio).toBeCloseTo(s.q.median / s.amqplib.median);
    for (const r of [s.q, s.amqplib]) {
      expect(r.min).toBeLessThanOrEqual(r.median);
      expect(r.max).toBeGreaterThanOrEqual(r.median);
    }
  }
  const table = formatRabbitReport(report);
  expect(table).toContain("@q ÷ amqplib");
  expect(table).toContain("drain c=20");
  expect(table.split("\n")).toHaveLength(1 + 2 + 6);
});
