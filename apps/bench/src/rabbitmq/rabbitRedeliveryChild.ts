/**
 * A RabbitMQ redelivery worker child (./runRabbitRedelivery.ts): consumes a queue one job at
 * a time, each job's handler taking `jobMs`, and reports every job start and completion to
 * the parent. The parent SIGKILLs one such child mid-job and starts another. Messages:
 * → ready, ← go, → started, → job…, → result (after `n` completions and `graceMs` more), exit.
 * The task is the first argument (JSON).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { RabbitmqBroker } from "@q/broker-rabbitmq";
import { type Broker, type MessageProxy, Middleware, Worker, actor, defaultMiddleware } from "@q/core";
import * as amqp from "amqplib";
import pino from "pino";
import { now } from "../clock";
import { REDELIVERY_ACTOR, type RabbitRedeliveryMessage, type RabbitRedeliveryTask } from "./RabbitRedeliveryTask";

function send(message: RabbitRedeliveryMessage): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, undefined, {}, (error) => (error ? reject(error) : resolve())));
}

interface Events {
  start(i: number): Promise<void>;
  done(i: number): void;
}

/** Starts consuming; resolves once the consumer is running. `close` stops it. */
type Consumer = { start(): Promise<void>; close(): Promise<void> };

/** @q: a Worker at concurrency 1 (prefetch 2), counting a job done in afterAck. */
function qConsumer(task: RabbitRedeliveryTask, events: Events): Consumer {
  const broker = new RabbitmqBroker({ url: task.url, logger: pino({ level: process.env.LOG_LEVEL ?? "warn" }, pino.destination(2)), middleware: [...defaultMiddleware(), new Acked(events)] });
  actor(async (payload: { i: number }) => events.start(payload.i), { broker, actorName: REDELIVERY_ACTOR, queueName: task.queue });
  const worker = new Worker(broker, { concurrency: 1, queues: [task.queue] });
  return {
    start: () => worker.start(),
    async close() {
      await worker.stop({ timeout: 5000 });
      await broker.close();
    },
  };
}

class Acked extends Middleware {
  constructor(private readonly events: Events) {
    super();
  }
  override afterAck(_broker: Broker, message: MessageProxy): void {
    this.events.done((message.args[0] as { i: number }).i);
  }
}

/** Plain amqplib with @q's settings: prefetch 2 (2 × concurrency 1), manual ack after the handler. */
function amqplibConsumer(task: RabbitRedeliveryTask, events: Events): Consumer {
  let connection: Awaited<ReturnType<typeof amqp.connect>> | undefined;
  return {
    async start() {
      connection = await amqp.connect(task.url);
      const channel = await connection.createChannel();
      await channel.prefetch(2);
      // One job at a time, as @q's concurrency 1: deliveries wait their turn.
      let chain = Promise.resolve();
      await channel.consume(task.queue, (message) => {
        if (!message) return;
        chain = chain.then(async () => {
          const { i } = (JSON.parse(message.content.toString("utf8")) as { args: [{ i: number }] }).args[0];
          await events.start(i);
          channel.ack(message);
          events.done(i);
        });
      });
    },
    async close() {
      await connection?.close();
    },
  };
}

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2]!) as RabbitRedeliveryTask;
  const starts: number[] = [];
  let completed = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const events: Events = {
    start(i) {
      starts.push(i);
      // Not awaited: the job runs on while the parent hears of it (and may kill us).
      void send({ type: "job", phase: "start", i, t: now() });
      return sleep(task.jobMs);
    },
    done(i) {
      void send({ type: "job", phase: "done", i, t: now() });
      if (++completed === task.n) finish();
    },
  };
  const consumer = task.side === "q" ? qConsumer(task, events) : amqplibConsumer(task, events);
  const go = new Promise<void>((resolve) => process.once("message", () => resolve()));
  await send({ type: "ready" });
  await go;
  await consumer.start();
  await send({ type: "started", t: now() });
  await done;
  // A job run once too often would start within this time.
  await sleep(task.graceMs);
  await consumer.close();
  await send({ type: "result", starts, completed });
  process.exit(0);
}

main().catch((error: unknown) => {
  void send({ type: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) }).finally(() => process.exit(1));
});
