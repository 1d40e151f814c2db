/**
 * A RabbitMQ benchmark child: prepares one task (connects, declares), says "ready",
 * runs it on "go" and reports the elapsed time, then closes and exits. Started by
 * runRabbitBench with `child_process.fork`; the task is its first argument (JSON).
 */
import { now } from "../clock";
import type { RabbitChildMessage, RabbitTask } from "./RabbitTask";
import { prepareAmqplib, prepareQ } from "./sides";

function send(message: RabbitChildMessage): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, undefined, {}, (error) => (error ? reject(error) : resolve())));
}

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2]!) as RabbitTask;
  const prepared = task.side === "q" ? await prepareQ(task) : await prepareAmqplib(task);
  const go = new Promise<void>((resolve) => process.once("message", () => resolve()));
  await send({ type: "ready" });
  await go;
  const cpu0 = process.cpuUsage();
  const t0 = now();
  const handled = await prepared.run();
  const elapsedMs = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await prepared.close();
  await send({ type: "result", elapsedMs, cpuMs: (cpu.user + cpu.system) / 1000, handled });
  process.exit(0);
}

main().catch((error: unknown) => {
  void send({ type: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) }).finally(() => process.exit(1));
});
