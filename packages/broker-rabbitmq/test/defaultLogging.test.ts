/**
 * A plain producer script, outside `q` and without a logger of its own, prints nothing for a
 * normal send: the default logger writes warnings and worse only (the broker's "Connected to
 * RabbitMQ" line is info). Runs the built package in a fresh node process, as a user would.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { useHarness } from "./harness";

const h = useHarness();
const PACKAGE = path.resolve(__dirname, "..");

function runNode(code: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", code], { cwd: PACKAGE, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (exitCode) => resolve({ code: exitCode, stdout, stderr }));
  });
}

test("a producer script that sends one message and closes prints nothing on stdout or stderr", async () => {
  const queueName = h.queue("quiet");
  const env: NodeJS.ProcessEnv = { ...process.env, AMQP_URL: h.url, QUEUE: queueName };
  delete env.LOG_LEVEL;
  delete env.Q_LOG_FORMAT;
  const run = await runNode(
    `
      const { RabbitmqBroker } = require("./dist/index.js");
      const { actor } = require("@q/core");
      const broker = new RabbitmqBroker({ url: process.env.AMQP_URL });
      const greet = actor(function greet(name) {}, { broker, queueName: process.env.QUEUE });
      greet.send("Ada").then(() => broker.close()).catch((error) => { console.error("script failed:", error); process.exitCode = 1; });
    `,
    env,
  );
  expect(run).toEqual({ code: 0, stdout: "", stderr: "" });
  expect(await h.python.count(queueName)).toBe(1);
}, 30_000);
