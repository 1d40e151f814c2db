import { setImmediate } from "node:timers/promises";
import pino from "pino";
import { RecordingBroker } from "../../test/support/RecordingBroker";
import type { Consumer } from "../broker/Consumer";
import { ConnectionFailed } from "../errors/ConnectionFailed";
import { Worker } from "./Worker";

/** A broker whose consumers fail every fetch with a connection error; counts the fetches. */
class FailingBroker extends RecordingBroker {
  readonly fetches = new Map<string, number>();
  override consume(queueName = "default"): Consumer {
    return {
      queueName,
      next: async () => {
        this.fetches.set(queueName, (this.fetches.get(queueName) ?? 0) + 1);
        throw new ConnectionFailed(`cannot reach the server for ${queueName}`);
      },
      ack: async () => undefined,
      nack: async () => undefined,
      requeue: async () => undefined,
      close: async () => undefined,
    };
  }
}

test("stop() during a failed consumer's restartDelay ends the wait at once, without an error", async () => {
  const broker = new FailingBroker();
  broker.declareQueue("default"); // and default.DQ
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
  // Ten minutes: a stop that waited for the delay would not finish within the test's timeout.
  const worker = new Worker(broker, { restartDelay: 600_000, logger });
  await worker.start();
  await expect(worker.whenConnected()).rejects.toThrow(ConnectionFailed);
  while (lines.filter((l) => l.msg === "Restarting consumer in 600.00 seconds.").length < 2) await setImmediate();

  await worker.stop({ timeout: 100 });
  expect(Object.fromEntries(broker.fetches)).toEqual({ default: 1, "default.DQ": 1 });
  expect(lines.filter((l) => l.level >= 50).map((l) => l.msg).sort()).toEqual([
    "Consumer encountered a connection error: cannot reach the server for default",
    "Consumer encountered a connection error: cannot reach the server for default.DQ",
  ]);
});
