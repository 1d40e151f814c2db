import pino from "pino";
import { RecordingBroker } from "../../test/support/RecordingBroker";
import type { Consumer } from "../broker/Consumer";
import { ConnectionClosed } from "../errors/ConnectionClosed";
import type { MessageProxy } from "../message/MessageProxy";
import { Worker } from "./Worker";

/** A broker whose consumers answer `next()` as told (per consumer): an empty poll, or a connection error. */
class ScriptedBroker extends RecordingBroker {
  constructor(private readonly makeNext: () => () => Promise<MessageProxy | null>) {
    super();
  }
  override consume(queueName = "default"): Consumer {
    return {
      queueName,
      next: this.makeNext(),
      ack: async () => undefined,
      nack: async () => undefined,
      requeue: async () => undefined,
      close: async () => undefined,
    };
  }
}

const pause = (ms: number) => new Promise<null>((resolve) => setTimeout(() => resolve(null), ms));

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
