import { setTimeout as sleep } from "node:timers/promises";
import pino from "pino";
import { RecordingBroker } from "../../test/support/RecordingBroker";
import type { Consumer } from "../broker/Consumer";
import { ConfigurationError } from "../errors/ConfigurationError";
import { ConnectionClosed } from "../errors/ConnectionClosed";
import { ConnectionFailed } from "../errors/ConnectionFailed";
import type { MessageProxy } from "../message/MessageProxy";
import { Worker } from "./Worker";

/**
 * A broker whose consumers answer `next()` as told (per consumer): an empty poll, or a
 * connection error; with `makeConnect`, they also have a `connect()` that does as told.
 */
class ScriptedBroker extends RecordingBroker {
  constructor(
    private readonly makeNext: () => () => Promise<MessageProxy | null>,
    private readonly makeConnect?: (queueName: string) => () => Promise<void>,
  ) {
    super();
  }
  override consume(queueName = "default"): Consumer {
    return {
      queueName,
      next: this.makeNext(),
      ...(this.makeConnect ? { connect: this.makeConnect(queueName) } : {}),
      ack: async () => undefined,
      nack: async () => undefined,
      requeue: async () => undefined,
      close: async () => undefined,
    };
  }
}

/** Resolves with null (what an empty poll returns) after `ms`. */
const pause = (ms: number) => sleep(ms, null);

test("whenConnected resolves once every consumer has fetched (an empty poll counts)", async () => {
  const broker = new ScriptedBroker(() => () => pause(5));
  broker.declareQueue("default");
  const worker = new Worker(broker, { restartDelay: 10 });
  await worker.start();
  try {
    await expect(worker.whenConnected()).resolves.toBeUndefined();
  } finally {
    await worker.stop({ timeout: 100 });
  }
});

test("whenConnected rejects with the connection error of a consumer that never fetched", async () => {
  const broker = new ScriptedBroker(() => async () => {
    await pause(5);
    throw new ConnectionClosed("the server is gone");
  });
  broker.declareQueue("default");
  const worker = new Worker(broker, { restartDelay: 10, logger: pino({ level: "silent" }) });
  await worker.start();
  try {
    await expect(worker.whenConnected()).rejects.toThrow(new ConnectionClosed("the server is gone"));
  } finally {
    await worker.stop({ timeout: 100 });
  }
});

test("a connection error after the first fetch does not reject whenConnected", async () => {
  const broker = new ScriptedBroker(() => {
    let calls = 0;
    return async () => {
      await pause(5);
      if (++calls > 1) throw new ConnectionClosed("lost later");
      return null;
    };
  });
  broker.declareQueue("default");
  const worker = new Worker(broker, { restartDelay: 10, logger: pino({ level: "silent" }) });
  await worker.start();
  try {
    await expect(worker.whenConnected()).resolves.toBeUndefined();
    await pause(50);
    await expect(worker.whenConnected()).resolves.toBeUndefined();
  } finally {
    await worker.stop({ timeout: 100 });
  }
});

test("a worker runs one fetch loop per queue: next() is never called twice at once on a consumer", async () => {
  let most = 0;
  let calls = 0;
  const broker = new ScriptedBroker(() => {
    let active = 0; // per consumer (default and default.DQ each have one)
    return async () => {
      calls++;
      most = Math.max(most, ++active);
      await pause(5);
      active--;
      return null;
    };
  });
  broker.declareQueue("default");
  const worker = new Worker(broker, { restartDelay: 10 });
  await worker.start();
  try {
    await worker.whenConnected();
    await pause(50);
  } finally {
    await worker.stop({ timeout: 100 });
  }
  expect(calls).toBeGreaterThan(2);
  expect(most).toBe(1);
});

test("with connect(), whenConnected waits for it, not for an empty poll", async () => {
  const connecting: (() => void)[] = [];
  let polls = 0;
  const broker = new ScriptedBroker(
    () => async () => {
      polls++;
      return pause(5);
    },
    () => () => new Promise<void>((resolve) => connecting.push(resolve)),
  );
  broker.declareQueue("default");
  const worker = new Worker(broker, { restartDelay: 10 });
  await worker.start();
  try {
    let settled = false;
    const whenConnected = worker.whenConnected().then(() => (settled = true));
    await pause(50);
    expect(settled).toBe(false);
    expect(polls).toBe(0); // next() only after connect() resolved
    expect(connecting).toHaveLength(2); // default and default.DQ
    for (const connected of connecting) connected();
    await whenConnected;
    expect(settled).toBe(true);
  } finally {
    await worker.stop({ timeout: 100 });
  }
});

test("a connect() that fails with a ConnectionError rejects whenConnected, after every consumer has settled", async () => {
  const broker = new ScriptedBroker(
    () => async () => pause(5),
    (queueName) => async () => {
      // The delay queue's consumer fails a little later: its error is still the one logged too.
      await pause(queueName.endsWith(".DQ") ? 40 : 5);
      throw new ConnectionFailed(`cannot reach the server for ${queueName}`);
    },
  );
  broker.declareQueue("default"); // and default.DQ
  const fatal: string[] = [];
  const logger = pino({ level: "fatal" }, { write: (line: string) => void fatal.push((JSON.parse(line) as { msg: string }).msg) });
  const worker = new Worker(broker, { restartDelay: 1000, logger });
  await worker.start();
  try {
    await expect(worker.whenConnected()).rejects.toThrow(new ConnectionFailed("cannot reach the server for default"));
    expect(fatal).toEqual([
      "Consumer encountered a connection error: cannot reach the server for default",
      "Consumer encountered a connection error: cannot reach the server for default.DQ",
    ]);
  } finally {
    await worker.stop({ timeout: 100 });
  }
});

test("an error that is not a connection error counts as having reached the broker (the loop keeps retrying)", async () => {
  const broker = new ScriptedBroker(() => async () => {
    await pause(5);
    throw new Error("the server refused the queue's arguments");
  });
  broker.declareQueue("default");
  const worker = new Worker(broker, { restartDelay: 10, logger: pino({ level: "silent" }) });
  await worker.start();
  try {
    await expect(worker.whenConnected()).resolves.toBeUndefined();
  } finally {
    await worker.stop({ timeout: 100 });
  }
});

test("whenConnected rejects with the ConfigurationError of a consumer whose connect() the broker refused (a queue declared with other arguments)", async () => {
  const refused = new ConfigurationError("RabbitMQ refused to declare q: it exists with other arguments");
  let attempts = 0;
  const broker = new ScriptedBroker(
    () => () => pause(5),
    () => async () => {
      attempts++;
      throw refused;
    },
  );
  broker.declareQueue("default");
  const worker = new Worker(broker, { restartDelay: 10, logger: pino({ level: "silent" }) });
  await worker.start();
  try {
    await expect(worker.whenConnected()).rejects.toBe(refused);
    // The consumer keeps retrying (an operator may fix the queue); only the first fetch failed.
    await pause(60);
    expect(attempts).toBeGreaterThan(1);
  } finally {
    await worker.stop({ timeout: 100 });
  }
});
