/**
 * Fixtures shared by the behaviour tests: StubBrokers with a silent or a capturing logger,
 * workers that are stopped after each test, and small async helpers.
 *
 * A test file that starts workers registers `afterEach(stopStartedWorkers)`.
 */
import { type Broker, type Message, Middleware, Worker, type WorkerOptions, CurrentMessage, defaultMiddleware } from "@q/core";
import pino, { type Level } from "pino";
import { StubBroker, type StubBrokerOptions } from "../../src";

/** One parsed pino log line. */
export interface LogLine {
  level: number;
  msg: string;
  name?: string;
  err?: { type: string; message: string; stack: string };
}

/** A StubBroker with a silent logger. */
export function newBroker(options: StubBrokerOptions = {}): StubBroker {
  return new StubBroker({ logger: pino({ level: "silent" }), middleware: withCurrentMessage(), ...options });
}

/**
 * A StubBroker whose logger (at `level`, pino's default "info" unless given) writes parsed
 * lines into `logs`; `find(level, text)` returns the lines of that level whose message
 * contains `text` (a string) or matches it (a RegExp).
 */
export function capturingBroker(level: Level = "info"): {
  broker: StubBroker;
  logs: LogLine[];
  find: (level: number, text: string | RegExp) => LogLine[];
} {
  const logs: LogLine[] = [];
  const logger = pino({ level }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
  const find = (level: number, text: string | RegExp) =>
    logs.filter((l) => l.level === level && (typeof text === "string" ? l.msg.includes(text) : text.test(l.msg)));
  return { broker: new StubBroker({ logger, middleware: withCurrentMessage() }), logs, find };
}

const startedWorkers: Worker[] = [];

/** Starts a worker on `broker` (consumer timeout 50 ms unless `options` say otherwise). */
export async function startWorker(broker: StubBroker, options: WorkerOptions = {}): Promise<Worker> {
  const worker = new Worker(broker, { timeout: 50, ...options });
  startedWorkers.push(worker);
  await worker.start();
  return worker;
}

/** Stops every worker `startWorker` started since the last call; for `afterEach`. */
export async function stopStartedWorkers(): Promise<void> {
  await Promise.all(startedWorkers.splice(0).map((w) => w.stop({ timeout: 1000 })));
}

/** A promise with its `resolve` handed out. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Records every enqueue with its delay (retries go to the delay queue). */
export class EnqueueRecorder extends Middleware {
  readonly enqueued: { message: Message; delay: number | undefined }[] = [];
  override afterEnqueue(_broker: Broker, message: Message, delay: number | undefined): void {
    this.enqueued.push({ message, delay });
  }
}

/** The default middleware plus CurrentMessage, which these tests' actors use to read their message. */
export function withCurrentMessage(): Middleware[] {
  return [...defaultMiddleware(), new CurrentMessage()];
}
