// Runs the RabbitMQ redelivery benchmark once per side against the real RabbitMQ, so CI
// keeps it working: a worker killed mid-job, the job run exactly once more by a fresh
// worker, every other job exactly once. Speed is never asserted.
import path from "node:path";
import { type RabbitRedeliveryReport, formatRabbitRedeliveryReport, runRabbitRedelivery } from "../src/rabbitmq/runRabbitRedelivery";

const AMQP_URL = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";

jest.setTimeout(120_000);

let report: RabbitRedeliveryReport;
const progress: string[] = [];

beforeAll(async () => {
  report = await runRabbitRedelivery({
    url: AMQP_URL,
    repeats: 1,
    jobMs: 200,
    launcher: {
      entry: path.join(__dirname, "..", "src", "rabbitmq", "rabbitRedeliveryChild.ts"),
      execArgv: ["-r", path.join(__dirname, "support", "register-ts.cjs")],
    },
    timeoutMs: 60_000,
    log: (line) => progress.push(line),
  });
});

test("each side's killed job started exactly twice, once per worker", () => {
  expect(report.runs.map((r) => r.side)).toEqual(["q", "amqplib"]);
  for (const run of report.runs) {
    // The runner checked every job's starts and completions (it throws otherwise).
    expect(run.killedJobStarts).toBe(2);
    expect(run.killedJob).toBeGreaterThanOrEqual(1);
    expect(run.workerStartedMs).toBeGreaterThan(0);
    expect(run.redeliveryMs).toBeGreaterThan(0);
  }
  expect(progress).toHaveLength(2);
});

test("the summary has one row per side", () => {
  expect(report.summary.map((s) => s.side)).toEqual(["q", "amqplib"]);
  for (const s of report.summary) expect(s.medianMs).toBe(report.runs.find((r) => r.side === s.side)!.redeliveryMs);
  const table = formatRabbitRedeliveryReport(report);
  expect(table).toContain("fresh worker started (s)");
  expect(table.split("\n")).toHaveLength(3 + 2);
  expect(report.environment.versions).toMatchObject({ amqplib: "2.3.1" });
  expect(report.environment.rabbitmqVersion).toMatch(/^\d+\.\d+/);
});
