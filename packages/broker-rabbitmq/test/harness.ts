/**
 * Per-test resources for the integration tests: brokers, started workers, unique
 * queues and a "Python side" connection, cleaned up after each test so jest exits
 * cleanly and the shared server keeps no test queues. `useHarness()` (called at the
 * top of a test file, after any dedicated server's `beforeAll`) checks the server in
 * `beforeAll`: it fails, never skips, when RabbitMQ is missing.
 */
import { CurrentMessage, Worker, type WorkerOptions, defaultMiddleware } from "@q/core";
import { RabbitmqBroker, type RabbitmqBrokerOptions } from "../src";
import { PythonSide } from "./pythonSide";
import { silentLogger } from "@q/test-support";
import { AMQP_URL, freshQueue, requireRabbit } from "@q/test-support/rabbitmq";

export interface Harness {
  /** A plain connection acting as Python Dramatiq does (and reading what RabbitMQ holds). */
  readonly python: PythonSide;
  /** The server URL the harness uses. */
  readonly url: string;
  /** A broker (silent logger unless given); closed after the test. */
  broker(options?: RabbitmqBrokerOptions): RabbitmqBroker;
  /** A started worker (consumer timeout 100 ms unless given); stopped after the test. */
  worker(broker: RabbitmqBroker, options?: WorkerOptions): Promise<Worker>;
  /** A unique queue name, deleted with its .DQ/.XQ and buckets after the test. */
  queue(prefix?: string): string;
}

export function useHarness(url: () => string = () => AMQP_URL): Harness {
  let python: PythonSide | undefined;
  const workers: Worker[] = [];
  const brokers: RabbitmqBroker[] = [];
  const queues: string[] = [];

  beforeAll(async () => {
    await requireRabbit(url());
    python = await PythonSide.connect(url());
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop({ timeout: 1000 })));
    await Promise.all(brokers.splice(0).map((b) => b.close()));
    for (const q of queues.splice(0)) await python?.deleteAll(q);
  });

  afterAll(async () => {
    await python?.close();
  });

  return {
    get python() {
      if (!python) throw new Error("the harness connection exists only inside tests (after beforeAll)");
      return python;
    },
    get url() {
      return url();
    },
    broker(options = {}) {
      const broker = new RabbitmqBroker({
        url: url(),
        logger: silentLogger(),
        middleware: [...defaultMiddleware(), new CurrentMessage()],
        ...options,
      });
      brokers.push(broker);
      return broker;
    },
    async worker(broker, options = {}) {
      const worker = new Worker(broker, { timeout: 100, ...options });
      workers.push(worker);
      await worker.start();
      return worker;
    },
    queue(prefix) {
      const name = freshQueue(prefix);
      queues.push(name);
      return name;
    },
  };
}
