import { setTimeout as sleep } from "node:timers/promises";
import { RecordingBroker } from "../../test/support/RecordingBroker";
import { actor } from "../actor/declareActor";
import type { Consumer } from "../broker/Consumer";
import { MessageProxy } from "../message/MessageProxy";
import { Worker } from "./Worker";

/** A broker whose one consumer hands out `messages` in order and whose acks wait until released. */
class SlowAckBroker extends RecordingBroker {
  readonly acked: string[] = [];
  private releases: (() => void)[] = [];
  pendingAcks = 0;

  readonly messages: MessageProxy[] = [];

  /** Lets every ack sent so far complete. */
  releaseAcks(): void {
    for (const release of this.releases.splice(0)) release();
  }

  override consume(queueName = "default"): Consumer {
    return {
      queueName,
      next: async () => this.messages.shift() ?? sleep(5, null),
      ack: (message) => {
        this.pendingAcks++;
        return new Promise<void>((resolve) =>
          this.releases.push(() => {
            this.pendingAcks--;
            this.acked.push(message.messageId);
            resolve();
          }),
        );
      },
      nack: async () => undefined,
      requeue: async () => undefined,
      close: async () => undefined,
    };
  }
}

test("an ack in flight holds no concurrency slot, and join and stop wait for it", async () => {
  const started: number[] = [];
  const broker = new SlowAckBroker();
  const count = actor(
    function count(i: number) {
      started.push(i);
    },
    { broker },
  );
  const messages = [0, 1, 2].map((i) => new MessageProxy(count.message(i)));
  broker.messages.push(...messages);
  const worker = new Worker(broker, { concurrency: 1, timeout: 10 });
  await worker.start();
  try {
    // All three ran at concurrency 1 while none of their acks completed.
    for (let i = 0; i < 100 && started.length < 3; i++) await sleep(5);
    expect(started).toEqual([0, 1, 2]);
    expect(broker.pendingAcks).toBe(3);
    expect(broker.acked).toEqual([]);

    let joined = false;
    const join = worker.join().then(() => (joined = true));
    await sleep(30);
    expect(joined).toBe(false);
    broker.releaseAcks();
    await join;
    expect(broker.acked).toEqual(messages.map((m) => m.messageId));
  } finally {
    broker.releaseAcks();
    await worker.stop({ timeout: 1000 });
  }
});

test("a stop waits for the acks in flight before it closes the consumer", async () => {
  const started: number[] = [];
  const broker = new SlowAckBroker();
  const count = actor(
    function count(i: number) {
      started.push(i);
    },
    { broker },
  );
  broker.messages.push(new MessageProxy(count.message(7)));
  const worker = new Worker(broker, { concurrency: 1, timeout: 10 });
  await worker.start();
  for (let i = 0; i < 100 && broker.pendingAcks < 1; i++) await sleep(5);
  expect(started).toEqual([7]);
  let stopped = false;
  const stop = worker.stop({ timeout: 5000 }).then(() => (stopped = true));
  await sleep(50);
  expect(stopped).toBe(false);
  broker.releaseAcks();
  await stop;
  expect(broker.acked).toHaveLength(1);
});
