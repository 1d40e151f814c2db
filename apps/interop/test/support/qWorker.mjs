// An @q worker in its own process, so a test can SIGKILL it (Redis dead-worker recovery).
// argv[2]: JSON {url, namespace, queue, out, actor}. Each run appends {message_id, at} to `out`
// and then never finishes; "ready" on stdout once the worker consumes.
import { appendFileSync } from "node:fs";
import process from "node:process";
import { CurrentMessage, Worker, actor, defaultMiddleware } from "@q/core";
import { RedisBroker } from "@q/broker-redis";

const spec = JSON.parse(process.argv[2]);
const broker = new RedisBroker({ url: spec.url, namespace: spec.namespace, middleware: [...defaultMiddleware(), new CurrentMessage()] });
actor(
  async function stuck(..._args) {
    const m = CurrentMessage.getCurrentMessage();
    appendFileSync(spec.out, JSON.stringify({ message_id: m.messageId, at: Date.now() }) + "\n");
    await new Promise(() => {});
  },
  { broker, queueName: spec.queue, actorName: spec.actor, timeLimit: null },
);
const worker = new Worker(broker, { timeout: 100, concurrency: 1 });
await worker.start();
process.stdout.write("ready\n");
