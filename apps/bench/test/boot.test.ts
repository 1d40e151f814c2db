// Runs the boot scenario once per contestant against the real Redis and the built `q`
// (turbo builds this package before its tests), so CI keeps it working. Speed is never asserted.
import fs from "node:fs";
import path from "node:path";
import Redis from "ioredis";
import { bootOptions, formatBoot, runBoot } from "../src/boot/runBoot";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const VENV_PYTHON = path.join(__dirname, "..", "..", "..", ".venv-interop", "bin", "python");
// The dramatiq row needs the interop venv (tooling/scripts/python-env.sh); it is optional here.
const PYTHON = process.env.INTEROP_PYTHON ?? (fs.existsSync(VENV_PYTHON) ? VENV_PYTHON : undefined);

jest.setTimeout(120_000);

test("q, node -e, node fork (and dramatiq with a venv) each boot once, and nothing is left behind", async () => {
  const lines: string[] = [];
  const report = await runBoot(
    bootOptions({
      redisUrl: REDIS_URL,
      repeats: 1,
      python: PYTHON,
      brokerModule: path.join(__dirname, "..", "dist", "boot", "bootBroker.js"),
      forkFloorModule: path.join(__dirname, "..", "dist", "boot", "forkFloor.js"),
      log: (line) => lines.push(line),
    }),
  );
  const expected = PYTHON ? ["node -e", "node fork", "q", "dramatiq"] : ["node -e", "node fork", "q"];
  expect(report.results.map((r) => r.contestant)).toEqual(expected);
  for (const r of report.results) {
    expect(r.runs).toHaveLength(1);
    expect(r.median).toBeGreaterThan(0);
    expect(r.min).toBeLessThanOrEqual(r.max);
  }
  expect(lines).toHaveLength(expected.length);
  expect(formatBoot(report)).toContain("median ms");

  const redis = new Redis(REDIS_URL);
  try {
    const [, keys] = await redis.scan("0", "MATCH", "qbench-boot-*", "COUNT", 100_000);
    expect(keys).toEqual([]);
  } finally {
    redis.disconnect();
  }
});
