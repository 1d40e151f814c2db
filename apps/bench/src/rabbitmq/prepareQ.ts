import { RabbitmqBroker } from "@q/broker-rabbitmq";
import { type Broker, type Logger, Middleware, Worker, actor, defaultMiddleware } from "@q/core";
import pino from "pino";
import { type Prepared, rssMb } from "./Prepared";
import { JOB, type RabbitTask } from "./RabbitTask";

/** The part of @q's broker the drain uses to connect before the clock (internal, so not in its published types). */
interface ConsumerConnections {
  connections: { connection(timeoutMs: number): Promise<unknown> };
}

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
  let rssEndMb: number | undefined;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const broker = new RabbitmqBroker({
    url: task.url,
    confirmDelivery: task.confirm,
    logger: benchLogger(),
    middleware: [
      ...defaultMiddleware(),
      new Counter(() => {
        if (++handled !== task.n) return;
        rssEndMb = rssMb();
        finish();
      }),
    ],
  });
  actor(async (_payload: { i: number }) => undefined, { broker, actorName: JOB, queueName: task.queue });
  const worker = new Worker(broker, { concurrency: task.concurrency, queues: [task.queue] });
  // Connected before the clock, as the plain loop is: the TCP and AMQP handshakes are not the
  // drain. Opening the consumers' channels, declaring and subscribing stay in it (the plain
  // loop's channel and prefetch are set up before it, its consume is timed).
  await (broker as unknown as ConsumerConnections).connections.connection(10_000);
  return {
    get rssEndMb() {
      return rssEndMb;
    },
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
