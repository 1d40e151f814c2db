/* eslint-disable @typescript-eslint/no-require-imports -- each side loaded lazily on purpose, see prepare() */
/**
 * A RabbitMQ benchmark child: prepares one task (connects, declares), says "ready",
 * runs it on "go" and reports the elapsed time (and, for a drain, the resident set once
 * connected and when the N-th message was acked), then closes and exits. Started by
 * runRabbitBench with `child_process.fork`; the task is its first argument (JSON).
 */
import { now } from "../clock";
import type { RabbitChildMessage, RabbitTask } from "./RabbitTask";
import { type Prepared, rssMb } from "./Prepared";

/** Loads only the measured side's libraries, so each side's RSS is its own. */
function prepare(task: RabbitTask): Promise<Prepared> {
  if (task.side === "q") return (require("./prepareQ") as typeof import("./prepareQ")).prepareQ(task);
  return (require("./prepareAmqplib") as typeof import("./prepareAmqplib")).prepareAmqplib(task);
}

function send(message: RabbitChildMessage): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, undefined, {}, (error) => (error ? reject(error) : resolve())));
}

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2]!) as RabbitTask;
  const prepared = await prepare(task);
  const go = new Promise<void>((resolve) => process.once("message", () => resolve()));
  await send({ type: "ready" });
  await go;
  const rssIdleMb = rssMb();
  const cpu0 = process.cpuUsage();
  const t0 = now();
  const handled = await prepared.run();
  const elapsedMs = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const rss = task.role === "drain" ? { rssIdleMb, rssEndMb: prepared.rssEndMb } : {};
  await prepared.close();
  await send({ type: "result", elapsedMs, cpuMs: (cpu.user + cpu.system) / 1000, handled, ...rss });
  process.exit(0);
}

main().catch((error: unknown) => {
  void send({ type: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) }).finally(() => process.exit(1));
});
