import { RabbitmqBroker } from "@q/broker-rabbitmq";
import { type Broker, type Logger, Middleware, Worker, actor, defaultMiddleware } from "@q/core";
import * as amqp from "amqplib";
import pino from "pino";
import type { RabbitTask } from "./RabbitTask";

/** A prepared publisher or consumer: connected before the clock starts. */
export interface Prepared {
  /** The measured work; resolves when it is done (all published / all N handled). */
  run(): Promise<number>;
  close(): Promise<void>;
}

const JOB = "bench_rabbit_job";

/** @q: `enqueueMany` of N messages; a Worker at `concurrency` (prefetch 2 × concurrency) counting afterAck. */
export async function prepareQ(task: RabbitTask): Promise<Prepared> {
  if (task.role === "publish") {
    const broker = new RabbitmqBroker({ url: task.url, confirmDelivery: task.confirm, logger: benchLogger() });
    const job = actor(async (_payload: { i: number }) => undefined, { broker, actorName: JOB, queueName: task.queue });
    await broker.join(task.queue, { timeout: 10_000 }); // connects, opens the publishing channel, declares
    return {
      async run() {
        const messages = new Array(task.n);
        for (let i = 0; i < task.n; i++) messages[i] = job.message({ i });
        await broker.enqueueMany(messages);
        return task.n;
      },
      close: () => broker.close(),
    };
  }
  let handled = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const broker = new RabbitmqBroker({
    url: task.url,
    confirmDelivery: task.confirm,
    logger: benchLogger(),
    middleware: [...defaultMiddleware(), new Counter(() => ++handled === task.n && finish())],
  });
  actor(async (_payload: { i: number }) => undefined, { broker, actorName: JOB, queueName: task.queue });
  const worker = new Worker(broker, { concurrency: task.concurrency, queues: [task.queue] });
  return {
    async run() {
      await worker.start();
      await done;
      return handled;
    },
    async close() {
      await worker.stop({ timeout: 5000 });
      await broker.close();
    },
  };
}

/**
 * The ceiling: plain amqplib with the same durability (durable queue, persistent
 * messages, confirms when on, manual acks, same prefetch). The publisher encodes a
 * Dramatiq-shaped JSON body per message and calls `sendToQueue` in a loop (waiting for
 * `drain` when told to, and for every confirm with confirms); the consumer parses
 * each body and acks it.
 */
export async function prepareAmqplib(task: RabbitTask): Promise<Prepared> {
  const connection = await amqp.connect(task.url);
  const channel = task.confirm ? await connection.createConfirmChannel() : await connection.createChannel();
  await channel.checkQueue(task.queue); // declared by the parent, with Dramatiq's arguments
  if (task.role === "publish") {
    return {
      async run() {
        const timestamp = Date.now();
        for (let i = 0; i < task.n; i++) {
          const body = Buffer.from(
            JSON.stringify({
              queue_name: task.queue,
              actor_name: JOB,
              args: [{ i }],
              kwargs: {},
              options: {},
              message_id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
              message_timestamp: timestamp,
            }),
          );
          if (!channel.sendToQueue(task.queue, body, { persistent: true })) await new Promise((r) => channel.once("drain", r));
        }
        if (task.confirm) await (channel as amqp.ConfirmChannel).waitForConfirms();
        return task.n;
      },
      async close() {
        await channel.close(); // flushes the channel's publishes before the connection closes
        await connection.close();
      },
    };
  }
  await channel.prefetch(2 * task.concurrency);
  return {
    run() {
      return new Promise<number>((resolve) => {
        let handled = 0;
        void channel.consume(
          task.queue,
          (message) => {
            if (!message) return;
            JSON.parse(message.content.toString("utf8"));
            channel.ack(message);
            if (++handled === task.n) resolve(handled);
          },
          { noAck: false },
        );
      });
    },
    async close() {
      await channel.close(); // its acks go out before the connection closes
      await connection.close();
    },
  };
}

/** Counts messages once their ack is sent (the afterAck hook). */
class Counter extends Middleware {
  constructor(private readonly onAck: () => void) {
    super();
  }
  override afterAck(_broker: Broker): void {
    this.onAck();
  }
}

function benchLogger(): Logger {
  return pino({ level: process.env.LOG_LEVEL ?? "warn" }, pino.destination(2));
}
