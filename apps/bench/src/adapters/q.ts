import { RedisBroker } from "@q/broker-redis";
import { type Broker, type Logger, type MessageProxy, Middleware, Worker, actor, defaultMiddleware } from "@q/core";
import pino from "pino";
import type { Target } from "../protocol";
import { type Adapter, JOB_NAME, type Payload, type WorkerEvents } from "./Adapter";

/**
 * @q on its Redis broker, default options: default middleware, wake-ups on, acked
 * messages deleted (that is how Dramatiq's Redis layout works; nothing is kept). With
 * `extra`, those middleware are added to the worker's broker (the `q-prom` lib adds
 * @q/middleware-prometheus, to measure its per-message cost).
 */
export const qAdapter: Adapter = makeQAdapter(() => []);

/** The @q adapter with `extra()` middleware on the worker's broker. */
export function makeQAdapter(extra: () => Middleware[]): Adapter {
  return {
  async producer(target) {
    const broker = new RedisBroker({ url: target.redisUrl, namespace: target.prefix, logger: benchLogger() });
    const job = declare(broker, target, async () => undefined);
    await broker.client.ping();
    return {
      async enqueueBulk(n) {
        const messages = new Array(n);
        for (let i = 0; i < n; i++) messages[i] = job.message({ i });
        await broker.enqueueMany(messages);
      },
      async send(i) {
        await job.send({ i });
      },
      waiting: () => broker.client.llen(`${target.prefix}:${target.queue}`),
      close: () => broker.close(),
    };
  },

  async worker(target, concurrency, events, options = {}) {
    const broker = new RedisBroker({
      url: target.redisUrl,
      namespace: target.prefix,
      logger: benchLogger(),
      // Decides how soon a killed worker's messages run again (default 60000 ms, as Dramatiq).
      ...(options.recoveryMs === undefined ? {} : { heartbeatTimeout: options.recoveryMs }),
      middleware: [...defaultMiddleware(), ...extra(), new CompletionEvents(events)],
    });
    declare(broker, target, async (payload: Payload) => events.onStart(payload.i));
    const worker = new Worker(broker, { concurrency });
    await broker.client.ping();
    return {
      start: () => worker.start(),
      async remaining() {
        const key = `${target.prefix}:${target.queue}`;
        const [waiting, payloads, dead] = await Promise.all([
          broker.client.llen(key),
          broker.client.hlen(`${key}.msgs`),
          broker.client.zcard(`${key}.XQ`),
        ]);
        return waiting + payloads + dead;
      },
      async close() {
        await worker.stop({ timeout: 5000 });
        await broker.close();
      },
    };
  },
  };
}

function declare(broker: Broker, target: Target, fn: (payload: Payload) => Promise<void>) {
  return actor(fn, { broker, actorName: JOB_NAME, queueName: target.queue });
}

/** Reports a job as complete once its ack is written (the `afterAck` hook). */
class CompletionEvents extends Middleware {
  constructor(private readonly events: WorkerEvents) {
    super();
  }
  override afterAck(_broker: Broker, message: MessageProxy): void {
    this.events.onComplete((message.args[0] as Payload).i);
  }
  override afterNack(_broker: Broker, message: MessageProxy): void {
    this.events.onFail(new Error(`message ${message.messageId} was dead-lettered`));
  }
}

/** Warnings and errors only (set LOG_LEVEL to see more), to stderr. */
function benchLogger(): Logger {
  return pino({ level: process.env.LOG_LEVEL ?? "warn" }, pino.destination(2));
}
